package scoring

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNormalizeText checks each step and their order.
func TestNormalizeText(t *testing.T) {
	all := []string{NormalizeLower, NormalizeStrip, NormalizeStripPunctuation, NormalizeCollapseSpace}
	tests := []struct {
		in   string
		ops  []string
		want string
	}{
		{"  Hello, World!  ", nil, "  Hello, World!  "},
		{"  Hello, World!  ", all, "hello world"},
		{"  Hello,  World!  ", []string{"collapse_space"}, " Hello, World! "},
		{"  Hello, World!  ", []string{"strip_punctuation", "collapse_space", "strip", "lower"}, "hello world"},
		{"ÀB\u0130", []string{"lower"}, "àbi\u0307"},
		{"\u00a0\u3000 x \n\t", []string{"strip"}, "x"},
		{"\x1c x \x1f", []string{"strip"}, "x"},
		{"a\u200bb", []string{"strip", "collapse_space"}, "a\u200bb"},
		{"«Bonjour» — «¿qué?» 「はい」、。", []string{"strip_punctuation"}, "Bonjour  qué はい"},
		{"$5 + 3^2 = 14 & co_op", []string{"strip_punctuation"}, "$5 + 3^2 = 14  coop"},
		{"a \u00a0\t\n b\u3000\u3000c", []string{"collapse_space"}, "a b c"},
		{" a ", []string{"collapse_space"}, " a "},
		{"Paris", []string{"unknown", "lower"}, "paris"},
	}
	for _, tt := range tests {
		if got := NormalizeText(tt.in, tt.ops); got != tt.want {
			t.Errorf("NormalizeText(%q, %q) = %q, want %q", tt.in, tt.ops, got, tt.want)
		}
	}
}

// TestCheckNormalize checks that unknown steps are named.
func TestCheckNormalize(t *testing.T) {
	if err := CheckNormalize([]string{"lower", "strip", "strip_punctuation", "collapse_space"}); err != nil {
		t.Errorf("known steps: %v", err)
	}
	if err := CheckNormalize(nil); err != nil {
		t.Errorf("no steps: %v", err)
	}
	err := CheckNormalize([]string{"lower", "Upper"})
	if err == nil || err.Error() != `unknown normalize step "Upper"; use "lower", "strip", "strip_punctuation" or "collapse_space"` {
		t.Errorf("unknown step: %v", err)
	}
}

// TestExtract checks extraction with and without groups.
func TestExtract(t *testing.T) {
	tests := []struct {
		response, pattern string
		want              *string
		wantErr           bool
	}{
		{"The answer is Paris.", `answer is (\w+)`, p("Paris"), false},
		{"The answer is Paris.", `[A-Z]\w+`, p("The"), false},
		{"The answer is Paris.", `(?i)ANSWER IS (\w+)`, p("Paris"), false},
		{"a1 b2", `([a-z])(\d)`, p("a"), false},
		{"x=1; x=2", `x=(\d)`, p("1"), false},
		{"no match", `\d+`, nil, false},
		{"b", `(a)?b`, p(""), false},
		{"", `^$`, p(""), false},
		{"Answer:\nC", `Answer:\s*([A-D])`, p("C"), false},
		{"x", `(`, nil, true},
		{"x", `(?<=a)x`, nil, true},
	}
	for _, tt := range tests {
		got, err := Extract(tt.response, tt.pattern)
		if (err != nil) != tt.wantErr {
			t.Errorf("Extract(%q, %q) error = %v, want error %v", tt.response, tt.pattern, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Extract(%q, %q) (-want +got):\n%s", tt.response, tt.pattern, diff)
		}
	}
}

// TestExactMatchContains checks the plain metrics.
func TestExactMatchContains(t *testing.T) {
	tests := []struct {
		pred, target    string
		exact, contains bool
	}{
		{"Paris", "Paris", true, true},
		{"paris", "Paris", false, false},
		{"Paris ", "Paris", false, true},
		{"It is Paris.", "Paris", false, true},
		{"", "", true, true},
		{"x", "", false, true},
		{"", "x", false, false},
		{"caf\u00e9", "cafe\u0301", false, false},
	}
	for _, tt := range tests {
		if got := ExactMatch(tt.pred, tt.target); got != tt.exact {
			t.Errorf("ExactMatch(%q, %q) = %v", tt.pred, tt.target, got)
		}
		if got := Contains(tt.pred, tt.target); got != tt.contains {
			t.Errorf("Contains(%q, %q) = %v", tt.pred, tt.target, got)
		}
	}
}

// TestRegexMatch checks the "regex" metric.
func TestRegexMatch(t *testing.T) {
	tests := []struct {
		response, pattern string
		want, wantErr     bool
	}{
		{"The answer is 42.", `\b42\b`, true, false},
		{"The answer is 420.", `\b42\b`, false, false},
		{"42", `^\d+$`, true, false},
		{"42\n", `^\d+$`, false, false},
		{"Yes", `(?i)^yes`, true, false},
		{"x", `[`, false, true},
	}
	for _, tt := range tests {
		got, err := RegexMatch(tt.response, tt.pattern)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("RegexMatch(%q, %q) = %v, %v; want %v, error %v", tt.response, tt.pattern, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestChoiceMatch checks the "choice" metric: by text, by letter, by index.
func TestChoiceMatch(t *testing.T) {
	colors := []string{"red", "green", "blue"}
	tests := []struct {
		pred    string
		choices []string
		target  string
		want    bool
	}{
		{"green", colors, "green", true},
		{" green\n", colors, "green", true},
		{"green", colors, "B", true},
		{"green", colors, "1", true},
		{"B", colors, "green", true},
		{"b", colors, "green", true},
		{"(B)", colors, "green", true},
		{"B)", colors, "green", true},
		{"B.", colors, "b", true},
		{"B", colors, "1", true},
		{"A", colors, "green", false},
		{"D", colors, "D", false},
		{"(B", colors, "green", false},
		{"Green", colors, "green", false},
		{"green", colors, "3", false},
		{"green", colors, "-1", false},
		{"purple", colors, "purple", false},
		{"", colors, "", false},
		{"A", nil, "A", false},
		// text wins over letter: "B" is the text of the first choice
		{"B", []string{"B", "A"}, "0", true},
		{"B", []string{"B", "A"}, "A", false},
		// numeric choices: "1" is the text of the second, not index 1
		{"1", []string{"0", "1", "2"}, "1", true},
		{"2", []string{"0", "1", "2"}, "1", false},
	}
	for _, tt := range tests {
		if got := ChoiceMatch(tt.pred, tt.choices, tt.target); got != tt.want {
			t.Errorf("ChoiceMatch(%q, %q, %q) = %v, want %v", tt.pred, tt.choices, tt.target, got, tt.want)
		}
	}
}
