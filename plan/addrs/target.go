package addrs

import (
	"strconv"
	"strings"
)

// Match reports whether addr is selected by a -target or -replace pattern: the address
// itself, or one that encloses it (suite.quick selects every run of that suite,
// suite.quick.run["native.gsm8k"] that benchmark on every endpoint, exporter.mlflow.team
// every export to it). Quotes may be omitted around index keys in the pattern.
func Match(pattern string, addr Addr) bool {
	return MatchString(pattern, addr.String())
}

// MatchString is Match for an address already in its string form.
func MatchString(pattern, addr string) bool {
	pattern = NormalizePattern(pattern)
	if pattern == addr {
		return true
	}
	return strings.HasPrefix(addr, pattern) && (addr[len(pattern)] == '.' || addr[len(pattern)] == '[')
}

// NormalizePattern quotes bare index keys: run[native.gsm8k][qwen] → run["native.gsm8k"]["qwen"].
func NormalizePattern(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+1])
		s = s[i+1:]
		if strings.HasPrefix(s, "suite.") { // an export's run: normalise it in turn
			continue
		}
		if q, err := strconv.QuotedPrefix(s); err == nil {
			b.WriteString(q)
			s = s[len(q):]
			continue
		}
		j := strings.IndexByte(s, ']')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(strconv.Quote(s[:j]))
		s = s[j:]
	}
}
