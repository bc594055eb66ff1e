package scoring

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// UserTaskVersion is the version of the user task scorers (normalisation, extraction and
// metrics), part of every task block run's identity.
const UserTaskVersion = "task/1"

// Metrics of a task block (its `metric` attribute).
const (
	MetricExactMatch = "exact_match"
	MetricContains   = "contains"
	MetricRegex      = "regex"
	MetricChoice     = "choice"
)

// Normalisation steps of a task block (its `normalize` list).
const (
	NormalizeLower            = "lower"
	NormalizeStrip            = "strip"
	NormalizeStripPunctuation = "strip_punctuation"
	NormalizeCollapseSpace    = "collapse_space"
)

// CheckNormalize returns an error naming the first step of ops that NormalizeText does not
// know, or nil.
func CheckNormalize(ops []string) error {
	for _, op := range ops {
		switch op {
		case NormalizeLower, NormalizeStrip, NormalizeStripPunctuation, NormalizeCollapseSpace:
		default:
			return fmt.Errorf("unknown normalize step %q; use %q, %q, %q or %q", op,
				NormalizeLower, NormalizeStrip, NormalizeStripPunctuation, NormalizeCollapseSpace)
		}
	}
	return nil
}

// NormalizeText applies the normalisation steps ops to s, in order:
//
//   - "lower": lower-case (Unicode, as Python's str.lower()).
//   - "strip": delete leading and trailing white space (Unicode, as Python's str.strip()).
//   - "strip_punctuation": delete every Unicode punctuation character (categories Pc, Pd,
//     Ps, Pe, Pi, Pf, Po); symbols such as "$", "+" and "^" are kept.
//   - "collapse_space": replace every run of white space with one " " (runs at the ends
//     too; "strip" removes those).
//
// Unknown steps are skipped; CheckNormalize finds them when the configuration is checked.
func NormalizeText(s string, ops []string) string {
	for _, op := range ops {
		switch op {
		case NormalizeLower:
			s = pyLower(s)
		case NormalizeStrip:
			s = pyStrip(s)
		case NormalizeStripPunctuation:
			s = strings.Map(func(r rune) rune {
				if unicode.IsPunct(r) {
					return -1
				}
				return r
			}, s)
		case NormalizeCollapseSpace:
			s = collapseSpace(s)
		}
	}
	return s
}

// collapseSpace replaces every run of white space in s with one " ".
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inSpace := false
	for _, r := range s {
		if pyIsSpace(r) {
			if !inSpace {
				b.WriteByte(' ')
			}
			inSpace = true
			continue
		}
		inSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

// Extract applies a task block's `extract` pattern (Go regexp syntax, RE2) to a response:
// the first capture group of the first match, or the whole match when the pattern has no
// group; "" when the first group takes no part in the match. It returns nil when nothing
// matches, and an error when the pattern does not compile.
func Extract(response, pattern string) (*string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("extract pattern %q: %w", pattern, err)
	}
	m := re.FindStringSubmatch(response)
	if m == nil {
		return nil, nil
	}
	s := m[0]
	if len(m) > 1 {
		s = m[1]
	}
	return &s, nil
}

// ExactMatch reports whether pred equals target exactly; normalise both with NormalizeText
// first.
func ExactMatch(pred, target string) bool {
	return pred == target
}

// Contains reports whether target occurs in response. Every response contains the empty
// target.
func Contains(response, target string) bool {
	return strings.Contains(response, target)
}

// RegexMatch is the metric "regex": it reports whether the pattern (the task's target, Go
// regexp syntax) matches somewhere in the response; anchor it with ^ and $ to match the
// whole response. It returns an error when the pattern does not compile.
func RegexMatch(response, pattern string) (bool, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false, fmt.Errorf("regex target %q: %w", pattern, err)
	}
	return re.MatchString(response), nil
}

// ChoiceMatch is the metric "choice": it reports whether pred names the choice that target
// names. pred names choice i when it equals choices[i], both stripped (the first such), or else
// when it is the letter of choice i (A for the first; either case; written "B", "(B)", "B)"
// or "B."). target names a choice the same way, or else by its 0-based index ("0", "1",
// ...). It is false when either names no choice.
func ChoiceMatch(pred string, choices []string, target string) bool {
	p := choiceIndex(pred, choices)
	if p < 0 {
		return false
	}
	t := choiceIndex(target, choices)
	if t < 0 {
		if n, err := strconv.Atoi(pyStrip(target)); err == nil && n >= 0 && n < len(choices) {
			t = n
		}
	}
	return p == t
}

// choiceIndex is the index of the choice s names by its text or its letter, or -1.
func choiceIndex(s string, choices []string) int {
	s = pyStrip(s)
	for i, c := range choices {
		if s == pyStrip(c) {
			return i
		}
	}
	letter := strings.TrimSuffix(strings.TrimSuffix(s, ")"), ".")
	if strings.HasPrefix(s, "(") {
		if !strings.HasSuffix(s, ")") {
			return -1
		}
		letter = s[1 : len(s)-1]
	}
	if len(letter) != 1 {
		return -1
	}
	i := strings.IndexByte(Letters(len(choices)), strings.ToUpper(letter)[0])
	return i
}
