package scoring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExtractMathAnswer checks the MATH extraction against simple-evals. The expected values
// were produced by the reference's ANSWER_PATTERN with Python 3.11 re on the same inputs.
func TestExtractMathAnswer(t *testing.T) {
	tests := []struct {
		response string
		want     *string
	}{
		{"Answer: 42", p("42")},
		{"Answer:\n42", p("42")},
		{"The answer: \\frac{1}{2}\nmore", p("\\frac{1}{2}")},
		{"answer : 3 ", p("3 ")},
		{"Answer:\u00a05", p("5")},
		{"Answer:\u3000x = 7\r\n", p("x = 7\r")},
		{"no answer here", nil},
		{"Answer: \n", p(" ")},
		{"Answer:", nil},
		{"Answer:\n\n  -3\nAnswer: 4", p("-3")},
		{"Final answer: $\\boxed{12}$", p("$\\boxed{12}$")},
		{"ANSWER:\t7 cm", p("7 cm")},
		{"Answer\u2009: 9", p("9")},
		{"Answer\u200b: 9", nil},
	}
	for _, tt := range tests {
		t.Run(tt.response, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ExtractMathAnswer(tt.response)); diff != "" {
				t.Errorf("ExtractMathAnswer(%q) (-want +got):\n%s", tt.response, diff)
			}
		})
	}
}

// TestMathPrompt pins simple-evals' QUERY_TEMPLATE.
func TestMathPrompt(t *testing.T) {
	want := "Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\nWhat is $1+1$?\n\nRemember to put your answer on its own line after \"Answer:\", and you do not need to use a \\boxed command."
	if diff := cmp.Diff(want, MathPrompt("What is $1+1$?")); diff != "" {
		t.Errorf("MathPrompt (-want +got):\n%s", diff)
	}
}

// TestNormalizeMathAnswer checks every normalisation step.
func TestNormalizeMathAnswer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  42 \n", "42"},
		{`\boxed{42}`, "42"},
		{`The answer is $\boxed{\frac{1}{2}}$.`, `\frac{1}{2}`},
		{`\boxed{1} or \boxed{\{2,3\}}`, `\{2,3\}`},
		{`\fbox{7}`, "7"},
		{`\boxed{\frac{1}{2}`, `\boxed{\frac{1}{2}`},
		{`3\!\,\;\:4`, "34"},
		{`1{,}000`, "1000"},
		{`\dfrac{3}{4}`, `\frac{3}{4}`},
		{`\tfrac12`, `\frac{1}{2}`},
		{`\left( 1, 2 \right)`, "(1,2)"},
		{`\left[0,1\right]`, "[0,1]"},
		{`x \rightarrow 1`, `x\rightarrow1`},
		{`90^\circ`, "90"},
		{`90^{\circ}`, "90"},
		{`90°`, "90"},
		{`\$5.00`, "5.00"},
		{`$x^2$`, "x^2"},
		{`10\text{ cm}`, "10"},
		{`10 \text{ inches}^2`, "10"},
		{`\text{(B)}`, "(B)"},
		{`\textbf{Friday}`, "Friday"},
		{`\mathrm{east}`, "east"},
		{`50\%`, "50"},
		{`50%`, "50"},
		{"1 2\u00a03\u30004", "1234"},
		{"5.", "5"},
		{"5...", "5"},
		{"x = 5", "5"},
		{"k=3", "3"},
		{"y=2x+1", "2x+1"},
		{"xy=5", "5"},
		{"abc=5", "abc=5"},
		{"x=y=1", "x=y=1"},
		{".5", "0.5"},
		{"-.5", "-0.5"},
		{`\frac{.5}{2}`, `\frac{0.5}{2}`},
		{`\sqrt3`, `\sqrt{3}`},
		{`2\sqrt2+\sqrt{5}`, `2\sqrt{2}+\sqrt{5}`},
		{`\sqrt\pi`, `\sqrt\pi`},
		{`\frac12`, `\frac{1}{2}`},
		{`\frac1{2}`, `\frac{1}{2}`},
		{`\frac{1}2`, `\frac{1}{2}`},
		{`\frac{a}{b}`, `\frac{a}{b}`},
		{`\frac\pi2`, `\frac\pi2`},
		{`\frac1`, `\frac1`},
		{"3/4", `\frac{3}{4}`},
		{"-3/4", `\frac{-3}{4}`},
		{"3.5/4", "3.5/4"},
		{"1,000", "1000"},
		{"1,234,567.89", "1234567.89"},
		{"-12,345", "-12345"},
		{"(1,2)", "(1,2)"},
		{"1,2", "1,2"},
		{"12,34", "12,34"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeMathAnswer(tt.in); got != tt.want {
			t.Errorf("NormalizeMathAnswer(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMathEqual checks MATH answer equality on normalised and numeric forms.
func TestMathEqual(t *testing.T) {
	tests := []struct {
		pred, target string
		want         bool
	}{
		{"42", "42", true},
		{"42 ", "42", true},
		{`\boxed{42}`, "42", true},
		{"0.5", `\frac{1}{2}`, true},
		{"1/2", `\frac12`, true},
		{"1/2", `\dfrac{1}{2}`, true},
		{`-\frac{1}{2}`, "-0.5", true},
		{`\frac{-1}{2}`, "-0.5", true},
		{"0.33333", `\frac{1}{3}`, false},
		{"0.333333", `\frac{1}{3}`, true},
		{"0.3333333", `\frac{1}{3}`, true},
		{"5.0", "5", true},
		{"05", "5", true},
		{"1,000", "1000", true},
		{"1000001", "1000000", false},
		{"x = 3", "3", true},
		{`3\text{ cm}`, "3", true},
		{`90^\circ`, "90", true},
		{`\$18`, "18", true},
		{"50%", "50", true},
		{"6", "7", false},
		{`\frac{1}{0}`, `\frac{1}{0}`, true},
		{`\frac{1}{0}`, "0", false},
		{`(1,2)`, `\left(1, 2\right)`, true},
		{`\sqrt{2}`, "1.41421356", false},
		{"", "", false},
		{"  ", "0", false},
		{"inf", "inf", true},
		{"nan", "0", false},
		{"1e3", "1000", false},
		{`\pi`, `\pi`, true},
	}
	for _, tt := range tests {
		if got := MathEqual(tt.pred, tt.target); got != tt.want {
			t.Errorf("MathEqual(%q, %q) = %v, want %v", tt.pred, tt.target, got, tt.want)
		}
	}
}

// TestJudgePrompt pins simple-evals' EQUALITY_TEMPLATE around the two expressions.
func TestJudgePrompt(t *testing.T) {
	got := JudgePrompt(`\frac{1}{2}`, "0.5")
	if !strings.HasPrefix(got, "Look at the following two expressions (answers to a math problem) and judge whether they are equivalent. Only perform trivial simplifications\n\nExamples:\n\n    Expression 1: $2x+3$\n    Expression 2: $3+2x$\n\nYes\n\n") {
		t.Errorf("JudgePrompt starts %q", got[:min(len(got), 200)])
	}
	wantTail := "---\n\nYOUR TASK\n\n\nRespond with only \"Yes\" or \"No\" (without quotes). Do not include a rationale.\n\n    Expression 1: \\frac{1}{2}\n    Expression 2: 0.5"
	if !strings.HasSuffix(got, wantTail) {
		t.Errorf("JudgePrompt ends %q, want %q", got[max(0, len(got)-len(wantTail)):], wantTail)
	}
	if n := strings.Count(got, "Expression 1:"); n != 9 {
		t.Errorf("JudgePrompt has %d examples and task, want 8 + 1", n)
	}
	if got := JudgePrompt("{expression2}", "b"); !strings.HasSuffix(got, "Expression 1: {expression2}\n    Expression 2: b") {
		t.Errorf("JudgePrompt re-substituted its values: %q", got[len(got)-60:])
	}
}

// TestParseJudge checks the reading of grader replies.
func TestParseJudge(t *testing.T) {
	type result struct{ Equal, OK bool }
	tests := []struct {
		reply string
		want  result
	}{
		{"Yes", result{true, true}},
		{"yes", result{true, true}},
		{"  YES\n", result{true, true}},
		{"No", result{false, true}},
		{"no.", result{false, true}},
		{"Yes.", result{true, true}},
		{"**Yes**", result{true, true}},
		{"Yes, they are equivalent.", result{true, true}},
		{"No\nThe first is larger.", result{false, true}},
		{"\u00a0Yes\u3000", result{true, true}},
		{"", result{false, false}},
		{"   ", result{false, false}},
		{"Maybe", result{false, false}},
		{"Yesterday", result{false, false}},
		{"The answer is yes", result{false, false}},
		{"Nope", result{false, false}},
	}
	for _, tt := range tests {
		equal, ok := ParseJudge(tt.reply)
		if diff := cmp.Diff(tt.want, result{equal, ok}); diff != "" {
			t.Errorf("ParseJudge(%q) (-want +got):\n%s", tt.reply, diff)
		}
	}
}

// TestJudgePromptGolden compares JudgePrompt with testdata/judge_prompt.txt, which is
// simple-evals' EQUALITY_TEMPLATE % {"expression1": "\frac{1}{2}", "expression2": "0.5"}
// as Python produced it (simple-evals is MIT licensed: testdata/simple-evals_LICENSE.txt).
func TestJudgePromptGolden(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "judge_prompt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), JudgePrompt(`\frac{1}{2}`, "0.5")); diff != "" {
		t.Errorf("JudgePrompt (-want +got):\n%s", diff)
	}
}
