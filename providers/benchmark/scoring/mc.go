package scoring

import (
	"regexp"
	"strings"
)

// MMLUVersion is the version of the MMLU scorer (prompt, extraction, categories), part of
// every native.mmlu run's identity.
const MMLUVersion = "mmlu/2"

// ARCVersion is the version of the ARC-Challenge scorer, part of every native.arc_challenge
// run's identity. ARC uses the multiple-choice machinery of this file.
const ARCVersion = "arc/2"

// MetricAccuracy is the metric name of the multiple-choice and MATH-500 scorers.
const MetricAccuracy = "accuracy"

// alphabet holds the choice letters, in order.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Letters returns the letters of n choices: "ABCD" for 4, "ABC" for 3, "ABCDE" for 5. The
// native tasks use 3 to 10 choices; n is clamped to 0..26.
func Letters(n int) string {
	return alphabet[:max(0, min(n, len(alphabet)))]
}

// mcInstruction is the start of simple-evals' QUERY_TEMPLATE_MULTICHOICE (common.py), up to
// the letters.
const mcInstruction = "Answer the following multiple choice question. The last line of your " +
	"response should be of the following format: 'Answer: $LETTER' (without quotes) where " +
	"LETTER is one of "

// MultipleChoicePrompt is the content of the single user message of a multiple-choice
// item: simple-evals' QUERY_TEMPLATE_MULTICHOICE, with "one of ABCD" and the "A) ..."
// lines following the number of choices (Letters(len(choices))):
//
//	Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.
//
//	{question}
//
//	A) {choices[0]}
//	B) {choices[1]}
//	C) {choices[2]}
//	D) {choices[3]}
//
// As in the reference, the template is stripped before the question and choices are put in,
// and the values are put in verbatim: a choice that ends in "\n" leaves the prompt ending in
// "\n". Choices beyond the 26th are dropped.
func MultipleChoicePrompt(question string, choices []string) string {
	letters := Letters(len(choices))
	var b strings.Builder
	b.WriteString(mcInstruction)
	b.WriteString(letters)
	b.WriteString(". Think step by step before answering.\n\n")
	b.WriteString(question)
	b.WriteString("\n")
	for i := range letters {
		b.WriteString("\n")
		b.WriteByte(letters[i])
		b.WriteString(") ")
		b.WriteString(choices[i])
	}
	return b.String()
}

// mcResponseReplacements are simple-evals' normalize_response (common.py): plain string
// replacements, applied in this order.
var mcResponseReplacements = []string{
	"**", "",
	`$\boxed{`, "",
	"}$", "",
	`\$`, "",
	`$\text{`, "",
	"$", "",
	`\mathrm{`, "",
	`\{`, "",
	`\text`, "",
	`\(`, "",
	`\mathbf{`, "",
	"{", "",
	`\boxed`, "",
}

// NormalizeMCResponse is simple-evals' normalize_response: it deletes "**", `$\boxed{`, "}$",
// `\$`, `$\text{`, "$", `\mathrm{`, `\{`, `\text`, `\(`, `\mathbf{`, "{" and `\boxed`, each
// everywhere, in that order (each replacement sees the result of the ones before it).
func NormalizeMCResponse(response string) string {
	for i := 0; i < len(mcResponseReplacements); i += 2 {
		response = strings.ReplaceAll(response, mcResponseReplacements[i], mcResponseReplacements[i+1])
	}
	return response
}

// pySpace is Python's `\s` on str patterns (the characters for which str.isspace() is true),
// for use where a reference pattern has `\s`; Go's `\s` is ASCII only.
const pySpace = `[\t\n\v\f\r\x{1c}-\x{20}\x{85}\p{Z}]`

// mcLabels are nvidia-simple-evals 26.3's MULTILINGUAL_ANSWER_REGEXES (simple_evals/common.py),
// in order, as Python sees them; `\s` is rewritten to pySpace when compiled. The second entry
// is "Answer\s*:" followed by six U+200B (the package's "Korean invisible character" label):
// the first entry matches wherever it would, so it never decides a result, but it is kept to
// mirror the list. The last 28 (Amharic "መልስ" to Vietnamese "Câu trả lời", Russian "Ответ"
// among them) are NVIDIA's additions to upstream openai/simple-evals.
var mcLabels = []string{
	`Answer\s*:`,
	"Answer\\s*:\u200b\u200b\u200b\u200b\u200b\u200b",
	`উত্তর\s*:`,
	`उत्तर\s*:`,
	`উত্তরঃ`,
	`উত্তর\s*:`,
	`Antwort\s*:`,
	`답변\s*:`,
	`정답\s*:`,
	`답\s*:`,
	`答案\s*：`,
	`答案\s*:`,
	`答\s*：`,
	`答\s*:`,
	`答复\s*：`,
	`答曰\s*：`,
	`الإجابة:`,
	`الجواب:`,
	`إجابة:`,
	`الإجابة النهائية:`,
	`الإجابة الصحيحة:`,
	`الإجابة الصحيحة هي:`,
	`الإجابة هي:`,
	`Respuesta\s*:`,
	`Risposta\s*:`,
	`答え\s*:`,
	`答え\s*：`,
	`回答\s*:`,
	`回答\s*：`,
	`解答\s*:`,
	`Jawaban\s*:`,
	`Réponse\s*:`,
	`Resposta\s*:`,
	`Jibu\s*:`,
	`Idahun\s*:`,
	`Ìdáhùn\s*:`,
	`Idáhùn\s*:`,
	`Àmọ̀nà\s*:`,
	`Àdáhùn\s*:`,
	`Ànúgọ\s*:`,
	`Àṣàyàn\s*:`,
	`መልስ\s*:`,
	`উঃ\s*:`,
	`Odpověď\s*:`,
	`Απάντηση\s*:`,
	`پاسخ\s*:`,
	`جواب\s*:`,
	`Sagot\s*:`,
	`Amsa\s*:`,
	`תשובה\s*:`,
	`Azịza\s*:`,
	`Жооп\s*:`,
	`Atsakymas\s*:`,
	`Valiny\s*:`,
	`Jawapan\s*:`,
	`Antwoord\s*:`,
	`Yankho\s*:`,
	`Odpowiedź\s*:`,
	`Răspuns\s*:`,
	`Ответ\s*:`,
	`පිළිතුර\s*:`,
	`Mhinduro\s*:`,
	`Jawaab\s*:`,
	`Odgovor\s*:`,
	`Svar\s*:`,
	`సమాధానం\s*:`,
	`Cevap\s*:`,
	`Відповідь\s*:`,
	`Câu trả lời\s*:`,
}

// mcExtractedReplacements are simple-evals' normalize_extracted_answer: Arabic, Bengali and
// full-width letters to " A".." D" (then stripped).
var mcExtractedReplacements = strings.NewReplacer(
	"أ", " A", "ب", " B", "ج", " C", "د", " D",
	"অ", " A", "ব", " B", "ড", " C", "ঢ", " D",
	"Ａ", " A", "Ｂ", " B", "Ｃ", " C", "Ｄ", " D",
)

// mcCompiled holds the compiled label patterns for 4 choices, the common case.
var mcCompiled = CompileMCPatterns("ABCD")

// MCPatterns are the compiled answer patterns of ExtractMCAnswer for one letter set. They
// are read-only once compiled, so one value may be shared by goroutines; a caller that
// scores many items with other letter sets than "ABCD" compiles each set once with
// CompileMCPatterns instead of paying for the compilation on every ExtractMCAnswer call.
type MCPatterns struct {
	letters string
	res     []*regexp.Regexp
}

// mcOtherLetters are the alternatives of MULTILINGUAL_ANSWER_PATTERN_TEMPLATE after its first,
// [A-D]: Arabic أ..د (the range U+0623–U+062F), Bengali, full-width Ａ..Ｄ, and NVIDIA's
// "enriched" classes: more Bengali letters, Devanagari अ..ड, Cyrillic А..Д and а..д, Greek
// Α..Δ and α..δ, Hebrew א..ד, Korean ㄱ..ㄷ and the Hangul syllables 가..다, circled ①..④,
// Roman numerals Ⅰ..Ⅳ and ⅰ..ⅳ, Arabic-Indic ٠..٣ and ۰..۳, and 1..4 and a..d.
const mcOtherLetters = `|[أ-د]|[অ]|[ব]|[ড]|[ঢ]|[Ａ]|[Ｂ]|[Ｃ]|[Ｄ]` +
	`|[অআইঈউঊ]|[अ-ड]|[А-Да-д]|[Α-Δα-δ]|[א-ד]|[ㄱ-ㄷ가-다]|[①②③④]|[Ⅰ-Ⅳⅰ-ⅳ]|[٠-٣۰-۳]|[1-4a-d]`

// CompileMCPatterns compiles nvidia-simple-evals' MULTILINGUAL_ANSWER_PATTERN_TEMPLATE,
//
//	(?i){label}\s*([A-D]|[أ-د]|...|[1-4a-d])
//
// for every label, with Python's `\s` written as pySpace and the first alternative [A-D]
// replaced by [A-<last letter>] (the other alternatives are kept as they are, whatever the
// number of choices). letters must be Letters(n) for some n ≥ 1; for "" it returns patterns
// that match nothing.
func CompileMCPatterns(letters string) *MCPatterns {
	p := &MCPatterns{letters: letters}
	if letters == "" {
		return p
	}
	class := "[A-" + letters[len(letters)-1:] + "]"
	p.res = make([]*regexp.Regexp, len(mcLabels))
	for i, label := range mcLabels {
		pattern := `(?i)` + label + `\s*(` + class + mcOtherLetters + `)`
		p.res[i] = regexp.MustCompile(strings.ReplaceAll(pattern, `\s`, pySpace))
	}
	return p
}

// Letters returns the letter set the patterns were compiled for.
func (p *MCPatterns) Letters() string { return p.letters }

// Extract is ExtractMCAnswer with the patterns' letter set.
func (p *MCPatterns) Extract(response string) *string {
	if len(p.res) == 0 {
		return nil
	}
	response = NormalizeMCResponse(response)
	for _, re := range p.res {
		if m := re.FindStringSubmatch(response); m != nil {
			s := pyStrip(mcExtractedReplacements.Replace(m[1]))
			return &s
		}
	}
	return nil
}

// ExtractMCAnswer extracts the chosen letter from a multiple-choice response as
// nvidia-simple-evals 26.3 does (simple_evals/evals/mmlu_eval.py, the code NeMo's
// simple_evals.mmlu runs): the response is normalised with NormalizeMCResponse; then, for
// each label of MULTILINGUAL_ANSWER_REGEXES in order, the first match of the pattern
// described at CompileMCPatterns is searched; the first label that matches decides. Its group
// has Arabic أ ب ج د, Bengali অ ব ড ঢ and full-width Ａ Ｂ Ｃ Ｄ mapped to A–D and is
// stripped. It returns nil when no label matches.
//
// The package's behaviour is kept, quirks included: `\s*` after "Answer" and after the colon
// crosses line ends, NBSP and U+3000 ("Answer:\nC" gives "C"); the case is not normalised
// ("answer: d" gives "d", which is wrong against "D"); digits, Cyrillic, Greek and other
// letters are extracted but never mapped ("Answer: 2" and "Answer: В" give "2" and "В",
// both wrong); the Arabic class is the range U+0623–U+062F, whose other letters (such as
// "ت") are returned unmapped; and (?i) lets the full-width classes match "ａ".."ｄ", which are
// returned as they are. letters must be Letters(n) for some n ≥ 1; nil is returned for "".
// Patterns for letter sets other than "ABCD" are compiled per call; use CompileMCPatterns to
// reuse them.
func ExtractMCAnswer(response string, letters string) *string {
	if letters == "ABCD" {
		return mcCompiled.Extract(response)
	}
	return CompileMCPatterns(letters).Extract(response)
}

// MMLU subject categories, as simple-evals names them.
const (
	CategorySTEM           = "stem"
	CategoryHumanities     = "humanities"
	CategorySocialSciences = "social_sciences"
	CategoryOther          = "other"
)

// mmluCategories is simple-evals' subject2category (mmlu_eval.py).
var mmluCategories = map[string]string{
	"abstract_algebra":                    CategorySTEM,
	"anatomy":                             CategoryOther,
	"astronomy":                           CategorySTEM,
	"business_ethics":                     CategoryOther,
	"clinical_knowledge":                  CategoryOther,
	"college_biology":                     CategorySTEM,
	"college_chemistry":                   CategorySTEM,
	"college_computer_science":            CategorySTEM,
	"college_mathematics":                 CategorySTEM,
	"college_medicine":                    CategoryOther,
	"college_physics":                     CategorySTEM,
	"computer_security":                   CategorySTEM,
	"conceptual_physics":                  CategorySTEM,
	"econometrics":                        CategorySocialSciences,
	"electrical_engineering":              CategorySTEM,
	"elementary_mathematics":              CategorySTEM,
	"formal_logic":                        CategoryHumanities,
	"global_facts":                        CategoryOther,
	"high_school_biology":                 CategorySTEM,
	"high_school_chemistry":               CategorySTEM,
	"high_school_computer_science":        CategorySTEM,
	"high_school_european_history":        CategoryHumanities,
	"high_school_geography":               CategorySocialSciences,
	"high_school_government_and_politics": CategorySocialSciences,
	"high_school_macroeconomics":          CategorySocialSciences,
	"high_school_mathematics":             CategorySTEM,
	"high_school_microeconomics":          CategorySocialSciences,
	"high_school_physics":                 CategorySTEM,
	"high_school_psychology":              CategorySocialSciences,
	"high_school_statistics":              CategorySTEM,
	"high_school_us_history":              CategoryHumanities,
	"high_school_world_history":           CategoryHumanities,
	"human_aging":                         CategoryOther,
	"human_sexuality":                     CategorySocialSciences,
	"international_law":                   CategoryHumanities,
	"jurisprudence":                       CategoryHumanities,
	"logical_fallacies":                   CategoryHumanities,
	"machine_learning":                    CategorySTEM,
	"management":                          CategoryOther,
	"marketing":                           CategoryOther,
	"medical_genetics":                    CategoryOther,
	"miscellaneous":                       CategoryOther,
	"moral_disputes":                      CategoryHumanities,
	"moral_scenarios":                     CategoryHumanities,
	"nutrition":                           CategoryOther,
	"philosophy":                          CategoryHumanities,
	"prehistory":                          CategoryHumanities,
	"professional_accounting":             CategoryOther,
	"professional_law":                    CategoryHumanities,
	"professional_medicine":               CategoryOther,
	"professional_psychology":             CategorySocialSciences,
	"public_relations":                    CategorySocialSciences,
	"security_studies":                    CategorySocialSciences,
	"sociology":                           CategorySocialSciences,
	"us_foreign_policy":                   CategorySocialSciences,
	"virology":                            CategoryOther,
	"world_religions":                     CategoryHumanities,
}

// MMLUCategory is the category of an MMLU subject (such as "college_physics") as
// simple-evals' subject2category gives it: CategorySTEM, CategoryHumanities,
// CategorySocialSciences or CategoryOther; like the reference, an unknown subject is
// CategoryOther.
func MMLUCategory(subject string) string {
	if c, ok := mmluCategories[subject]; ok {
		return c
	}
	return CategoryOther
}
