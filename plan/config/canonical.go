package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// canonicalText returns src (a block's source) with comments and blank lines removed and
// whitespace normalised by hclwrite.Format, so that formatting and comments never change a
// task's identity. Text inside strings and heredocs is kept byte for byte.
func canonicalText(src []byte) string {
	tokens, diags := hclsyntax.LexConfig(src, "", hcl.InitialPos)
	if diags.HasErrors() {
		return string(hclwrite.Format(src))
	}
	var b strings.Builder
	atLineStart := true
	prevEnd := 0
	for _, t := range tokens {
		gap := t.Range.Start.Byte > prevEnd
		prevEnd = t.Range.End.Byte
		switch t.Type {
		case hclsyntax.TokenEOF:
			continue
		case hclsyntax.TokenComment:
			if strings.HasSuffix(string(t.Bytes), "\n") && !atLineStart {
				b.WriteByte('\n')
				atLineStart = true
			}
			continue
		case hclsyntax.TokenNewline:
			if !atLineStart {
				b.WriteByte('\n')
				atLineStart = true
			}
			continue
		}
		if gap && !atLineStart {
			b.WriteByte(' ')
		}
		b.Write(t.Bytes)
		atLineStart = strings.HasSuffix(string(t.Bytes), "\n") && t.Type != hclsyntax.TokenStringLit && t.Type != hclsyntax.TokenQuotedLit
	}
	return strings.TrimSpace(string(hclwrite.Format([]byte(b.String()))))
}
