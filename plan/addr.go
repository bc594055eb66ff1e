package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// RunAddr returns the address of the run of benchmark on endpoint in suite, e.g.
// suite.quick.run["native.gsm8k"]["qwen"].
func RunAddr(suite, benchmark, endpoint string) string {
	return fmt.Sprintf("suite.%s.run[%s][%s]", suite, strconv.Quote(benchmark), strconv.Quote(endpoint))
}

// EndpointAddr returns the address of an endpoint block.
func EndpointAddr(name string) string { return "endpoint." + name }

// DatasetAddr returns the address of a dataset block.
func DatasetAddr(name string) string { return "dataset." + name }

// CheckAddr returns the address of a check block.
func CheckAddr(name string) string { return "check." + name }

// ParseRunAddr splits a run address into its suite, benchmark and endpoint.
func ParseRunAddr(addr string) (suite, benchmark, endpoint string, ok bool) {
	rest, found := strings.CutPrefix(addr, "suite.")
	if !found {
		return "", "", "", false
	}
	suite, rest, found = strings.Cut(rest, ".run[")
	if !found {
		return "", "", "", false
	}
	benchmark, rest, ok = cutQuoted(rest)
	if !ok {
		return "", "", "", false
	}
	rest, found = strings.CutPrefix(rest, "][")
	if !found {
		return "", "", "", false
	}
	endpoint, rest, ok = cutQuoted(rest)
	if !ok || rest != "]" {
		return "", "", "", false
	}
	return suite, benchmark, endpoint, true
}

func cutQuoted(s string) (value, rest string, ok bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", "", false
	}
	return v, s[len(q):], true
}

// MatchTarget reports whether addr is selected by a -target or -replace pattern: the address
// itself, or an enclosing one (suite.quick selects every run of that suite;
// suite.quick.run["native.gsm8k"] selects that benchmark on every endpoint).
// Quotes in the pattern may be omitted around benchmark and endpoint keys.
func MatchTarget(pattern, addr string) bool {
	pattern = normalizeAddr(pattern)
	if pattern == addr {
		return true
	}
	return strings.HasPrefix(addr, pattern) && (addr[len(pattern)] == '.' || addr[len(pattern)] == '[')
}

// normalizeAddr adds quotes to bare index keys: run[native.gsm8k][qwen] → run["native.gsm8k"]["qwen"].
func normalizeAddr(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+1])
		s = s[i+1:]
		j := strings.IndexByte(s, ']')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		key := s[:j]
		if !strings.HasPrefix(key, `"`) {
			key = strconv.Quote(key)
		}
		b.WriteString(key)
		s = s[j:]
	}
}
