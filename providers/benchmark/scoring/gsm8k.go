package scoring

import (
	"regexp"
	"strings"
	"unicode"
)

// GSM8KVersion is the version of the GSM8K scorer, part of every native.gsm8k run's identity.
const GSM8KVersion = "gsm8k/1"

// Invalid is what an extraction yields when nothing matches (lm-evaluation-harness's
// fallback).
const Invalid = "[invalid]"

// Metric names of native.gsm8k, as evalplan reports them.
const (
	MetricStrictMatch     = "strict_match"
	MetricFlexibleExtract = "flexible_extract"
)

// gsm8k holds the compiled GSM8K filter patterns. The patterns are the reference's,
// character for character (lm_eval/tasks/gsm8k/gsm8k.yaml); RE2 accepts the escaped
// punctuation.
var (
	gsm8kStrict   = regexp.MustCompile(`#### (\-?[0-9\.\,]+)`)
	gsm8kFlexible = regexp.MustCompile(`(-?[$0-9.,]{2,})|(-?[0-9]+)`)
)

// StrictMatch is GSM8K's strict-match filter: the first match of `#### (\-?[0-9\.\,]+)`,
// its group, stripped; Invalid when nothing matches.
func StrictMatch(response string) string {
	m := gsm8kStrict.FindStringSubmatch(response)
	if m == nil {
		return Invalid
	}
	return pyStrip(m[1])
}

// FlexibleExtract is GSM8K's flexible-extract filter: of all matches of
// `(-?[$0-9.,]{2,})|(-?[0-9]+)`, the last one; of its groups, the first non-empty one,
// stripped; Invalid when nothing matches.
func FlexibleExtract(response string) string {
	all := gsm8kFlexible.FindAllStringSubmatch(response, -1)
	if len(all) == 0 {
		return Invalid
	}
	// Python's findall returns the groups as a tuple; the filter takes the first
	// non-empty group, or the fallback when every group is empty.
	for _, g := range all[len(all)-1][1:] {
		if g != "" {
			return pyStrip(g)
		}
	}
	return Invalid
}

// GSM8KExactMatch reports whether an extracted prediction equals the target under GSM8K's
// exact_match: the regex deletions `,`, `\$`, `(?s).*#### ` and `\.$` (in that order) applied
// to both, then both lower-cased.
func GSM8KExactMatch(pred, target string) bool {
	return GSM8KNormalize(pred) == GSM8KNormalize(target)
}

// GSM8KNormalize applies exact_match's regexes_to_ignore (`,`, `\$`, `(?s).*#### `, `\.$`, in
// that order) and ignore_case. GSM8KExactMatch(pred, target) is
// GSM8KNormalize(pred) == GSM8KNormalize(target); a caller that compares several
// predictions with one target may normalise the target once.
//
// The first three deletions are done without regexes: `,` and `\$` are single characters,
// and `(?s).*#### ` (greedy, so its one match ends at the last "#### ") deletes everything
// up to and including the last "#### ".
func GSM8KNormalize(s string) string {
	s = strings.ReplaceAll(s, ",", "")
	s = strings.ReplaceAll(s, "$", "")
	if i := strings.LastIndex(s, "#### "); i >= 0 {
		s = s[i+len("#### "):]
	}
	s = pyDeleteFinalDot(s)
	return pyLower(s)
}

// pyDeleteFinalDot is Python's re.sub(r"\.$", "", s): without MULTILINE, `$` matches at the
// end and just before a final "\n", so "18.\n" becomes "18\n". At most one dot can match.
func pyDeleteFinalDot(s string) string {
	switch {
	case strings.HasSuffix(s, ".\n"):
		return s[:len(s)-2] + "\n"
	case strings.HasSuffix(s, "."):
		return s[:len(s)-1]
	}
	return s
}

// pyStrip is Python's str.strip() with no arguments: it removes leading and trailing
// characters for which str.isspace() is true, which are Go's unicode.IsSpace plus the
// information separators U+001C–U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, pyIsSpace)
}

func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyLower is Python's str.lower() as far as Go can cheaply follow it: Go's lower-casing plus
// the one full (one-to-two) mapping in Unicode's SpecialCasing, U+0130 → "i̇". The final-sigma
// rule is not mirrored.
func pyLower(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}
