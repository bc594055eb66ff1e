package scoring

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGSM8K checks extraction and exact match against lm-evaluation-harness. The expected
// values were produced by the reference's own code (Python re, the gsm8k.yaml patterns and
// exact_match's regexes_to_ignore) on the same inputs.
func TestGSM8K(t *testing.T) {
	type want struct {
		Strict, Flexible           string
		StrictScore, FlexibleScore bool
	}
	tests := []struct {
		response, target string
		strict, flexible string
		strictOK, flexOK bool
	}{
		{"Janet sells 9 eggs.\n#### 18", "Janet sells...\n#### 18", "18", "18", true, true},
		{"The answer is $18.", "x\n#### 18", "[invalid]", "$18.", false, true},
		{"#### 1,000.", "#### 1000", "1,000.", "1,000.", true, true},
		{"18 apples ... in 2024", "#### 18", "[invalid]", "2024", false, false},
		{"no numbers here", "#### 18", "[invalid]", "[invalid]", false, false},
		{"", "#### 18", "[invalid]", "[invalid]", false, false},
		{"####18", "#### 18", "[invalid]", "18", false, true},
		{"#### -5", "#### -5", "-5", "-5", true, true},
		{"The result is -5.", "#### -5", "[invalid]", "-5.", false, true},
		{"#### 18\n", "#### 18", "18", "18", true, true},
		{"#### 18.\n", "#### 18", "18.", "18.", true, true},
		{"answer: 18.\n", "#### 18", "[invalid]", "18.", false, true},
		{"#### 7\n#### 8", "#### 8", "7", "8", false, true},
		{"#### 7\n#### 8", "#### 7", "7", "8", true, false},
		{"$18.", "#### 18", "[invalid]", "$18.", false, true},
		{"#### $18", "#### 18", "[invalid]", "$18", false, true},
		{"####\u00a018", "#### 18", "[invalid]", "18", false, true},
		{"The answer is\u00a018\u00a0", "#### 18", "[invalid]", "18", false, true},
		{"####\u300018", "#### 18", "[invalid]", "18", false, true},
		{"The answer is \uff11\uff18", "#### 18", "[invalid]", "[invalid]", false, false},
		{"The answer is \uff11\uff18 or 3", "#### 3", "[invalid]", "3", false, true},
		{"So 3.5 hours", "#### 3.5", "[invalid]", "3.5", false, true},
		{"Total: 1,234,567 dollars", "#### 1234567", "[invalid]", "1,234,567", false, true},
		{"a - 5 = 7", "#### 7", "[invalid]", "7", false, true},
		{"costs $.", "#### 18", "[invalid]", "$.", false, false},
		{"value ..", "#### 18", "[invalid]", "..", false, false},
		{"-", "#### 18", "[invalid]", "[invalid]", false, false},
		{"x = 0.50", "#### 0.5", "[invalid]", "0.50", false, false},
		{"#### 18..", "#### 18", "18..", "18..", false, false},
		{"#### 18", "Steps\n#### 18\n", "18", "18", false, false},
		{"#### 18", "Steps\n#### 18.\n", "18", "18", false, false},
		{"#### 18", "#### \u0661\u0668", "18", "18", false, false},
		{"#### 1.5", "#### 15", "1.5", "1.5", false, false},
		{"#### 3", "no hashes 3", "3", "3", false, false},
		{"The answer is 42.\n\n", "#### 42", "[invalid]", "42.", false, true},
		{"x=5\n#### 10 apples", "#### 10", "10", "10", true, true},
		{"#### ,", "#### 18", ",", "[invalid]", false, false},
		{"Answer: -$1,200.50.", "#### -1200.50", "[invalid]", "-$1,200.50.", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.response, func(t *testing.T) {
			s, f := StrictMatch(tt.response), FlexibleExtract(tt.response)
			got := want{s, f, GSM8KExactMatch(s, tt.target), GSM8KExactMatch(f, tt.target)}
			exp := want{tt.strict, tt.flexible, tt.strictOK, tt.flexOK}
			if diff := cmp.Diff(exp, got); diff != "" {
				t.Errorf("response %q, target %q (-want +got):\n%s", tt.response, tt.target, diff)
			}
		})
	}
}

// TestGSM8KNormalize pins the Python-specific behaviour of exact_match's normalisation.
func TestGSM8KNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"18.\n", "18\n"}, // Python's `$` matches before a final newline
		{"18\n", "18\n"},
		{"18.", "18"},
		{"18..\n", "18.\n"},
		{".\n.", ".\n"},
		{"18.\n\n", "18.\n\n"}, // only one final newline is skipped
		{"$1,000.", "1000"},
		{"a#### b#### 7.", "7"}, // greedy: everything up to the last "#### "
		{"steps\n#### 72", "72"},
		{"\u0130X", "i\u0307x"}, // str.lower's one-to-two mapping
		{"[INVALID]", "[invalid]"},
		{"##### 5", "5"},      // the match may start inside a longer run of '#'
		{"#### #### 5", "5"},  // overlapping prefixes: the last one wins
		{"####,  5", " 5"},    // the comma goes first, making a prefix
		{"#\xff#### 5", "5"},  // invalid UTF-8 before the prefix
		{"7 #### ", ""},       // nothing after the prefix
		{"#### 5\n#### ", ""}, // a final empty prefix
		{"no prefix, $5.", "no prefix 5"},
	}
	for _, tt := range tests {
		if got := GSM8KNormalize(tt.in); got != tt.want {
			t.Errorf("GSM8KNormalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := gsm8kNormalizeRegexp(tt.in); got != tt.want {
			t.Errorf("reference regexes on %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// gsm8kNormalizeRegexp is exact_match's normalisation written with the reference's regexes,
// which GSM8KNormalize replaces with string operations; the tests check they agree.
func gsm8kNormalizeRegexp(s string) string {
	for _, re := range []string{`,`, `\$`, `(?s).*#### `} {
		s = regexp.MustCompile(re).ReplaceAllLiteralString(s, "")
	}
	return pyLower(pyDeleteFinalDot(s))
}

// BenchmarkGSM8KExactMatch measures exact match of a short prediction against a full GSM8K
// target (a worked solution ending in "#### N").
func BenchmarkGSM8KExactMatch(b *testing.B) {
	target := "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n" +
		"Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72"
	for b.Loop() {
		GSM8KExactMatch("72", target)
	}
}

func TestPyStrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{" 18 ", "18"},
		{"\u00a018\u3000", "18"},
		{"\x1c18\x1f", "18"},
		{"\u200918\u0085", "18"},
		{"\u200b18", "\u200b18"}, // zero-width space is not white space in Python
		{"", ""},
	}
	for _, tt := range tests {
		if got := pyStrip(tt.in); got != tt.want {
			t.Errorf("pyStrip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
