package scoring

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// MathVersion is the version of the MATH-500 scorer (prompt, extraction, normalisation,
// judge prompt and parsing), part of every native.math500 run's identity.
const MathVersion = "math500/1"

// mathTemplate is simple-evals' QUERY_TEMPLATE (math_eval.py), stripped, split at {Question}.
const (
	mathPromptHead = "Solve the following math problem step by step. The last line of your " +
		"response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the " +
		"answer to the problem.\n\n"
	mathPromptTail = "\n\nRemember to put your answer on its own line after \"Answer:\", and " +
		"you do not need to use a \\boxed command."
)

// MathPrompt is the content of the single user message of a MATH-500 problem: simple-evals'
// QUERY_TEMPLATE (math_eval.py) with the problem put in verbatim:
//
//	Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.
//
//	{problem}
//
//	Remember to put your answer on its own line after "Answer:", and you do not need to use a \boxed command.
func MathPrompt(problem string) string {
	return mathPromptHead + problem + mathPromptTail
}

// mathAnswer is simple-evals' ANSWER_PATTERN `(?i)Answer\s*:\s*([^\n]+)` with Python's `\s`.
var mathAnswer = regexp.MustCompile(`(?i)Answer` + pySpace + `*:` + pySpace + `*([^\n]+)`)

// ExtractMathAnswer is simple-evals' MATH extraction: the group of the first match of
// `(?i)Answer\s*:\s*([^\n]+)`, with Python's Unicode `\s`, not stripped; nil when nothing
// matches. `\s*` crosses line ends, so "Answer:\n42" gives "42"; the group may end in "\r"
// or spaces.
func ExtractMathAnswer(response string) *string {
	m := mathAnswer.FindStringSubmatch(response)
	if m == nil {
		return nil
	}
	return &m[1]
}

var (
	// mathLeftRight matches \left and \right when they are not the start of a longer
	// command such as \rightarrow.
	mathLeftRight = regexp.MustCompile(`\\(?:left|right)([^a-zA-Z]|$)`)
	// mathTextCmd matches a text command around a group without braces.
	mathTextCmd = regexp.MustCompile(`\\(?:text|textbf|textrm|mathrm|mathbf|mbox)\{([^{}]*)\}`)
	// mathThousands is an integer (or decimal) with comma thousands separators.
	mathThousands = regexp.MustCompile(`^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$`)
	// mathSlash is a fraction of two integers written with a slash.
	mathSlash = regexp.MustCompile(`^(-?\d+)/(\d+)$`)
	// mathDecimal is a plain decimal number.
	mathDecimal = regexp.MustCompile(`^[+-]?(?:\d+\.?\d*|\.\d+)$`)
	// mathFrac is a \frac of two decimal numbers, optionally signed.
	mathFrac = regexp.MustCompile(`^([+-]?)\\frac\{([+-]?(?:\d+\.?\d*|\.\d+))\}\{([+-]?(?:\d+\.?\d*|\.\d+))\}$`)
)

// NormalizeMathAnswer puts a MATH answer into a canonical form for exact comparison. It
// follows the MATH dataset's own strip_string (Hendrycks et al., math_equivalence.py), with
// additions; the steps, in order:
//
//  1. Strip surrounding white space.
//  2. If the answer has \boxed{…} or \fbox{…}, keep the content of the last one (braces
//     balanced; left as it is when they do not balance).
//  3. Delete line ends and the LaTeX spacing commands \! \, \; \: ; replace `\\` with `\`;
//     replace "{,}" with "," (the MATH style of thousands separator).
//  4. Replace \dfrac and \tfrac with \frac.
//  5. Delete \left and \right (not \rightarrow and the like).
//  6. Delete degrees: "^{\circ}", "^\circ" and "°".
//  7. Delete dollars: `\$`, then "$".
//  8. Delete units: when the answer has `\text{ ` (a text group starting with a space), keep
//     only what comes before it. Then replace \text{X}, \textbf{X}, \textrm{X}, \mathrm{X},
//     \mathbf{X} and \mbox{X} (X without braces) with X.
//  9. Delete percent signs: `\%`, then "%".
//  10. Delete all white space.
//  11. Delete trailing full stops.
//  12. Delete a short left-hand side: when the answer has exactly one "=" and what is
//     before it has at most two characters ("x=5", "k=3"), keep what is after it.
//  13. Add a leading zero: ".5" → "0.5", "-.5" → "-0.5", "{.5" → "{0.5".
//  14. Brace \sqrt and \frac arguments: "\sqrt3" → "\sqrt{3}", "\frac12" → "\frac{1}{2}",
//     "\frac1{2}" → "\frac{1}{2}".
//  15. Write an integer fraction "a/b" as "\frac{a}{b}".
//  16. Delete comma thousands separators of a number: "1,000" → "1000", "-12,345.5" →
//     "-12345.5" (only when the whole answer is such a number, so "(1,2)" is kept).
//
// MathEqual compares the results, with numeric equality where both are numbers.
func NormalizeMathAnswer(s string) string {
	s = pyStrip(s)
	s = lastBoxed(s)
	s = strings.NewReplacer("\n", "", `\!`, "", `\,`, "", `\;`, "", `\:`, "").Replace(s)
	s = strings.ReplaceAll(s, `\\`, `\`)
	s = strings.ReplaceAll(s, "{,}", ",")
	s = strings.NewReplacer(`\dfrac`, `\frac`, `\tfrac`, `\frac`).Replace(s)
	s = mathLeftRight.ReplaceAllString(s, "$1")
	s = strings.NewReplacer(`^{\circ}`, "", `^\circ`, "", "°", "").Replace(s)
	s = strings.ReplaceAll(s, `\$`, "")
	s = strings.ReplaceAll(s, "$", "")
	if i := strings.Index(s, `\text{ `); i >= 0 {
		s = s[:i]
	}
	s = mathTextCmd.ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, `\%`, "")
	s = strings.ReplaceAll(s, "%", "")
	s = strings.Map(func(r rune) rune {
		if pyIsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, ".")
	if lhs, rhs, ok := strings.Cut(s, "="); ok && !strings.Contains(rhs, "=") && len([]rune(lhs)) <= 2 {
		s = rhs
	}
	s = leadingZero(s)
	s = fixSqrt(s)
	s = fixFracs(s)
	if m := mathSlash.FindStringSubmatch(s); m != nil {
		s = `\frac{` + m[1] + "}{" + m[2] + "}"
	}
	if mathThousands.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	return s
}

// lastBoxed is the content of the last \boxed{…} or \fbox{…} in s, or s when there is none
// or its braces do not balance.
func lastBoxed(s string) string {
	start, open := -1, 0
	for _, cmd := range []string{`\boxed{`, `\fbox{`} {
		if i := strings.LastIndex(s, cmd); i > start {
			start, open = i, i+len(cmd)
		}
	}
	if start < 0 {
		return s
	}
	depth := 1
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[open:i]
			}
		}
	}
	return s
}

// leadingZero puts a 0 before a decimal point that starts a number.
func leadingZero(s string) string {
	s = strings.ReplaceAll(s, "{.", "{0.")
	switch {
	case strings.HasPrefix(s, "."):
		return "0" + s
	case strings.HasPrefix(s, "-."):
		return "-0" + s[1:]
	}
	return s
}

// fixSqrt braces a one-character \sqrt argument: "\sqrt3" → "\sqrt{3}" (strip_string's
// _fix_sqrt); a command after \sqrt is left as it is.
func fixSqrt(s string) string {
	parts := strings.Split(s, `\sqrt`)
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		b.WriteString(`\sqrt`)
		if p == "" || p[0] == '{' || p[0] == '\\' {
			b.WriteString(p)
			continue
		}
		r := []rune(p)
		b.WriteString("{" + string(r[0]) + "}" + string(r[1:]))
	}
	return b.String()
}

// fixFracs braces one-character \frac arguments: "\frac12" → "\frac{1}{2}", "\frac1{2}" →
// "\frac{1}{2}" (strip_string's _fix_fracs) and, beyond it, "\frac{1}2" → "\frac{1}{2}"
// (an ASCII letter or digit right after the first group). A \frac with fewer than two
// characters or a command after it is left as it is.
func fixFracs(s string) string {
	parts := strings.Split(s, `\frac`)
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		b.WriteString(`\frac`)
		b.WriteString(braceFracArgs(p))
	}
	return b.String()
}

// braceFracArgs braces the arguments at the start of p, the text after a \frac.
func braceFracArgs(p string) string {
	if strings.HasPrefix(p, "{") {
		if end := closingBrace(p); end > 0 && end+1 < len(p) && isAlnumASCII(p[end+1]) {
			return p[:end+1] + "{" + p[end+1:end+2] + "}" + p[end+2:]
		}
		return p
	}
	r := []rune(p)
	if len(r) < 2 || r[0] == '\\' {
		return p
	}
	if r[1] == '{' {
		return "{" + string(r[0]) + "}" + string(r[1:])
	}
	return "{" + string(r[0]) + "}{" + string(r[1]) + "}" + string(r[2:])
}

// isAlnumASCII reports whether c is an ASCII letter or digit.
func isAlnumASCII(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// closingBrace is the index of the brace that closes the one at s[0], or -1.
func closingBrace(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// mathTolerance is the absolute difference under which two numeric answers are equal.
const mathTolerance = 1e-6

// MathEqual reports whether a predicted MATH answer equals the target: their
// NormalizeMathAnswer forms are equal, or both are numbers (decimals such as "0.5", "-3",
// "1e" excluded; or fractions \frac{a}{b} and a/b of decimals) within 1e-6 of each other,
// so "0.5" equals "\frac{1}{2}" and "1/2". A prediction that normalises to "" is never
// equal (the reference does not grade an empty answer).
func MathEqual(pred, target string) bool {
	p, t := NormalizeMathAnswer(pred), NormalizeMathAnswer(target)
	if p == "" {
		return false
	}
	if p == t {
		return true
	}
	x, okx := mathNumber(p)
	y, oky := mathNumber(t)
	return okx && oky && math.Abs(x-y) <= mathTolerance
}

// mathNumber is the value of a normalised answer that is a decimal or a fraction of
// decimals.
func mathNumber(s string) (float64, bool) {
	if mathDecimal.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	m := mathFrac.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	num, err1 := strconv.ParseFloat(m[2], 64)
	den, err2 := strconv.ParseFloat(m[3], 64)
	if err1 != nil || err2 != nil || den == 0 {
		return 0, false
	}
	v := num / den
	if m[1] == "-" {
		v = -v
	}
	return v, true
}

// equalityTemplate is simple-evals' EQUALITY_TEMPLATE (common.py), stripped, with its two
// %(expression)s fields written as {expression1} and {expression2}.
const equalityTemplate = `Look at the following two expressions (answers to a math problem) and judge whether they are equivalent. Only perform trivial simplifications

Examples:

    Expression 1: $2x+3$
    Expression 2: $3+2x$

Yes

    Expression 1: 3/2
    Expression 2: 1.5

Yes

    Expression 1: $x^2+2x+1$
    Expression 2: $y^2+2y+1$

No

    Expression 1: $x^2+2x+1$
    Expression 2: $(x+1)^2$

Yes

    Expression 1: 3245/5
    Expression 2: 649

No
(these are actually equal, don't mark them equivalent if you need to do nontrivial simplifications)

    Expression 1: 2/(-3)
    Expression 2: -2/3

Yes
(trivial simplifications are allowed)

    Expression 1: 72 degrees
    Expression 2: 72

Yes
(give benefit of the doubt to units)

    Expression 1: 64
    Expression 2: 64 square feet

Yes
(give benefit of the doubt to units)

---

YOUR TASK


Respond with only "Yes" or "No" (without quotes). Do not include a rationale.

    Expression 1: {expression1}
    Expression 2: {expression2}`

// JudgePrompt is the content of the single user message that asks a grader model whether
// two MATH answers are equivalent: simple-evals' EQUALITY_TEMPLATE (common.py) with the
// expressions put in verbatim. The reference passes the target as expr1 and the extracted
// answer as expr2.
func JudgePrompt(expr1, expr2 string) string {
	return strings.NewReplacer("{expression1}", expr1, "{expression2}", expr2).Replace(equalityTemplate)
}

// ParseJudge reads a grader model's reply to JudgePrompt. The reply is stripped and
// lower-cased; "yes" gives (true, true) and "no" gives (false, true), as in the reference.
// Otherwise the first word, stripped of punctuation around it, decides the same way
// ("Yes.", "**No**", "Yes, they are equal"), where the reference would count any reply
// other than "yes" as not equal. Any other reply gives ok false: the caller records an
// error for the sample rather than a score.
func ParseJudge(response string) (equal bool, ok bool) {
	s := pyLower(pyStrip(response))
	if s != "yes" && s != "no" {
		fields := strings.FieldsFunc(s, pyIsSpace)
		if len(fields) == 0 {
			return false, false
		}
		s = strings.TrimFunc(fields[0], unicode.IsPunct)
	}
	switch s {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}
