package scoring

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// p returns a pointer to s, for tables of optional strings.
func p(s string) *string { return &s }

// TestExtractMCAnswer checks the multiple-choice extraction against nvidia-simple-evals 26.3.
// The expected values were produced by the package's own code (Python 3.11 re, common.py's
// normalize_response, MULTILINGUAL_ANSWER_REGEXES, MULTILINGUAL_ANSWER_PATTERN_TEMPLATE with
// the letter range of the item, and normalize_extracted_answer) on the same inputs.
func TestExtractMCAnswer(t *testing.T) {
	tests := []struct {
		response, letters string
		want              *string
	}{
		{"**Answer: B**", "ABCD", p("B")},
		{"Answer:\nC", "ABCD", p("C")},
		{"Antwort: A", "ABCD", p("A")},
		{"答案：Ｃ", "ABCD", p("C")},
		{"answer: d", "ABCD", p("d")},
		{"Answer: B\n...Answer: C", "ABCD", p("B")},
		{"The reasoning...\nAnswer: C", "ABCD", p("C")},
		{"Answer: E", "ABCD", nil},
		{"Answer: E", "ABCDE", p("E")},
		{"Answer: D", "ABC", p("D")},
		{"Answer: C", "ABC", p("C")},
		{"Answer: $\\boxed{B}$", "ABCD", p("B")},
		{"Answer: \\boxed{C}", "ABCD", p("C")},
		{"Answer: \\(\\textbf{A}\\)", "ABCD", p("b")},
		{"Answer: \\text{D}", "ABCD", p("D")},
		{"Answer:\u00a0B", "ABCD", p("B")},
		{"Answer\u00a0: B", "ABCD", p("B")},
		{"Answer\u3000:\u3000C", "ABCD", p("C")},
		{"Answer:\tA", "ABCD", p("A")},
		{"Answer :  B\n", "ABCD", p("B")},
		{"Answer: (B)", "ABCD", nil},
		{"Answer: B.", "ABCD", p("B")},
		{"ANSWER: c", "ABCD", p("c")},
		{"Respuesta: B", "ABCD", p("B")},
		{"Réponse : C", "ABCD", p("C")},
		{"RÉPONSE: D", "ABCD", p("D")},
		{"答案: B", "ABCD", p("B")},
		{"答え：A", "ABCD", p("A")},
		{"回答：Ｄ", "ABCD", p("D")},
		{"정답: C", "ABCD", p("C")},
		{"الإجابة: ب", "ABCD", p("B")},
		{"الإجابة: ت", "ABCD", p("ت")},
		{"উত্তর: অ", "ABCD", p("A")},
		{"উত্তরঃ ঢ", "ABCD", p("D")},
		{"Jawaban: A", "ABCD", p("A")},
		{"Answer: ａ", "ABCD", p("ａ")},
		{"Anſwer: B", "ABCD", p("B")},
		{"Antwort: A\nAnswer: B", "ABCD", p("B")},
		{"Risposta: D\nRespuesta: C", "ABCD", p("C")},
		{"I think the answer is B", "ABCD", nil},
		{"", "ABCD", nil},
		{"Answer: Ｅ", "ABCDE", nil},
		{"Answer: 1", "ABCD", p("1")},
		{"Final Answer: The answer is C", "ABCD", nil},
		{"Answer: The answer is C", "ABCD", nil},
		{"Answer:\u200b\u200bB", "ABCD", nil},
		{"Answer: **C**", "ABCD", p("C")},
		{"Answer: {B}", "ABCD", p("B")},
		{"answer:b", "ABC", p("b")},
		{"Answer: J", "ABCDEFGHIJ", p("J")},
		{"Answer: K", "ABCDEFGHIJ", nil},
		{"Answer:\r\nB", "ABCD", p("B")},
		{"Answer: \u2003B", "ABCD", p("B")},
		{"Answer\u2028: B", "ABCD", p("B")},
		{"Answer\u001f: B", "ABCD", p("B")},
		{"Answer\u0085: B", "ABCD", p("B")},
		{"Answer\u200b: B", "ABCD", nil},
		{"Ответ: B", "ABCD", p("B")},
		{"Answer: В", "ABCD", p("В")},
		{"Answer: Γ", "ABCD", p("Γ")},
		{"Answer\n:\nA", "ABCD", p("A")},
		{"Answer: Option B", "ABCD", nil},
	}
	for _, tt := range tests {
		t.Run(tt.letters+"/"+tt.response, func(t *testing.T) {
			got := ExtractMCAnswer(tt.response, tt.letters)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ExtractMCAnswer(%q, %q) (-want +got):\n%s", tt.response, tt.letters, diff)
			}
			got = CompileMCPatterns(tt.letters).Extract(tt.response)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CompileMCPatterns(%q).Extract(%q) (-want +got):\n%s", tt.letters, tt.response, diff)
			}
		})
	}
}

// TestNormalizeMCResponse checks normalize_response's replacements and their order; the
// expected values come from the reference's code.
func TestNormalizeMCResponse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**bold** $x$", "bold x"},
		{"$\\boxed{A}$", "A"},
		{"\\$5 and $\\text{B}$", "5 and B"},
		{"\\mathrm{C} \\{x\\}", "C} x\\}"},
		{"\\(\\mathbf{D}\\)", "D}\\)"},
		{"\\boxed{E}", "E}"},
		{"{}$}$", ""},
	}
	for _, tt := range tests {
		if got := NormalizeMCResponse(tt.in); got != tt.want {
			t.Errorf("NormalizeMCResponse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMultipleChoicePrompt pins the simple-evals template for 4 choices and its letters for
// 3 and 5 (ARC).
func TestMultipleChoicePrompt(t *testing.T) {
	const head = "Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of "
	tests := []struct {
		question string
		choices  []string
		want     string
	}{
		{
			"What is 2+2?", []string{"3", "4", "5", "22"},
			head + "ABCD. Think step by step before answering.\n\nWhat is 2+2?\n\nA) 3\nB) 4\nC) 5\nD) 22",
		},
		{
			"Pick one.", []string{"x", "y", "z"},
			head + "ABC. Think step by step before answering.\n\nPick one.\n\nA) x\nB) y\nC) z",
		},
		{
			"Q", []string{"a", "b", "c", "d", "e"},
			head + "ABCDE. Think step by step before answering.\n\nQ\n\nA) a\nB) b\nC) c\nD) d\nE) e",
		},
		{ // values go in verbatim, as str.format puts them
			" Q \n", []string{"a", "b", "c", "d\n"},
			head + "ABCD. Think step by step before answering.\n\n Q \n\n\nA) a\nB) b\nC) c\nD) d\n",
		},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, MultipleChoicePrompt(tt.question, tt.choices)); diff != "" {
			t.Errorf("MultipleChoicePrompt(%q, %q) (-want +got):\n%s", tt.question, tt.choices, diff)
		}
	}
}

// TestLetters checks the letters of 0 to 27 choices.
func TestLetters(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{-1, ""}, {0, ""}, {1, "A"}, {3, "ABC"}, {4, "ABCD"}, {5, "ABCDE"}, {10, "ABCDEFGHIJ"},
		{26, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, {27, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
	}
	for _, tt := range tests {
		if got := Letters(tt.n); got != tt.want {
			t.Errorf("Letters(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := ExtractMCAnswer("Answer: A", ""); got != nil {
		t.Errorf("ExtractMCAnswer with no letters = %q, want nil", *got)
	}
}

// TestMMLUCategory checks simple-evals' subject2category: 57 subjects, their counts per
// category, and the default.
func TestMMLUCategory(t *testing.T) {
	counts := map[string]int{}
	for subject := range mmluCategories {
		counts[MMLUCategory(subject)]++
	}
	want := map[string]int{CategorySTEM: 18, CategoryHumanities: 13, CategorySocialSciences: 12, CategoryOther: 14}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("subjects per category (-want +got):\n%s", diff)
	}
	for subject, want := range map[string]string{
		"abstract_algebra": CategorySTEM, "anatomy": CategoryOther, "formal_logic": CategoryHumanities,
		"econometrics": CategorySocialSciences, "not_a_subject": CategoryOther, "": CategoryOther,
	} {
		if got := MMLUCategory(subject); got != want {
			t.Errorf("MMLUCategory(%q) = %q, want %q", subject, got, want)
		}
	}
}

// TestMCLabels checks the label list against nvidia-simple-evals 26.3's length and its invisible
// characters.
func TestMCLabels(t *testing.T) {
	if len(mcLabels) != 69 {
		t.Errorf("%d labels, want 69", len(mcLabels))
	}
	if want := "Answer\\s*:" + strings.Repeat("\u200b", 6); mcLabels[1] != want {
		t.Errorf("label 1 = %q, want %q", mcLabels[1], want)
	}
}

// BenchmarkExtractMCAnswer measures extraction for the precompiled 4 letters, for 5, which
// compiles its patterns per call, and for 5 with patterns from CompileMCPatterns.
func BenchmarkExtractMCAnswer(b *testing.B) {
	response := strings.Repeat("Some reasoning about the options. ", 40) + "\nAnswer: C"
	for _, letters := range []string{"ABCD", "ABCDE"} {
		b.Run(letters, func(b *testing.B) {
			for b.Loop() {
				ExtractMCAnswer(response, letters)
			}
		})
	}
	b.Run("ABCDE-compiled", func(b *testing.B) {
		p := CompileMCPatterns("ABCDE")
		for b.Loop() {
			p.Extract(response)
		}
	})
}
