package config

import (
	"bytes"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics prints diags for a person: for each, a first line
// "Error: eval.hcl:12:5: Summary" (or "Warning: ...") built from its Subject, then the source
// snippet and detail as hcl.NewDiagnosticTextWriter prints them. files are the parsed files by
// name (Config.HCLFiles); width wraps the detail (0: no wrapping); color adds VT100 colors.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	for _, d := range diags {
		if d == nil {
			continue
		}
		var buf bytes.Buffer
		if err := hcl.NewDiagnosticTextWriter(&buf, files, width, color).WriteDiagnostic(d); err != nil {
			return fmt.Errorf("write diagnostic: %w", err)
		}
		body := buf.Bytes()
		// The text writer's own first line is "Error: Summary"; replace it.
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			body = body[i+1:]
		}
		if _, err := io.WriteString(w, header(d, color)); err != nil {
			return fmt.Errorf("write diagnostic: %w", err)
		}
		if _, err := w.Write(body); err != nil {
			return fmt.Errorf("write diagnostic: %w", err)
		}
	}
	return nil
}

// header returns a diagnostic's first line, with its newline.
func header(d *hcl.Diagnostic, color bool) string {
	sev, code := "Error", "\x1b[31m"
	if d.Severity == hcl.DiagWarning {
		sev, code = "Warning", "\x1b[33m"
	}
	if color {
		sev = code + sev + "\x1b[0m"
	}
	if d.Subject == nil {
		return fmt.Sprintf("%s: %s\n", sev, d.Summary)
	}
	s := d.Subject
	return fmt.Sprintf("%s: %s:%d:%d: %s\n", sev, s.Filename, s.Start.Line, s.Start.Column, d.Summary)
}
