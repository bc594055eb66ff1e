package sim

import (
	"strconv"
	"strings"
)

// UnknownReply is the reply to a prompt the simulator does not recognise.
const UnknownReply = "I am not sure. #### 0"

// Answer is the simulator's reply to one recognised record for one model. It is a pure
// function of the seed, the model and the record.
type Answer struct {
	// ID is the record id.
	ID string
	// Gold is the dataset's answer: the number after "#### " for GSM8K, the letter for
	// multiple choice (by position, A..), the MATH answer.
	Gold string
	// Stated is the answer the reply gives: Gold (without thousands separators) when
	// Correct, a different number, letter or expression otherwise.
	Stated string
	// Correct reports whether hash(seed, model, id) fell below the model's accuracy.
	Correct bool
	// Style names the wording: for numbers "hash", "dollar", "dollars", "bold", "prose"; for
	// letters "answer", "bold", "option", "lower"; for MATH "answer", "final", "lower".
	Style string
	// Text is the full reply.
	Text string
}

// Hash salts, one per independent draw.
const (
	saltCorrect uint64 = iota + 1
	saltStyle
	saltWrong
	saltFault
	saltJitter
)

// style is one wording of an answer; render writes the reply for the stated answer x.
type style struct {
	name   string
	weight uint64
	render func(b *strings.Builder, x string)
}

var numberStyles = []style{
	{"hash", 5, func(b *strings.Builder, x string) {
		b.WriteString("Let's work through it step by step.\nCombining the quantities gives ")
		b.WriteString(x)
		b.WriteString(".\n#### ")
		b.WriteString(x)
	}},
	{"dollar", 1, func(b *strings.Builder, x string) {
		b.WriteString("The answer is $")
		b.WriteString(x)
		b.WriteString(".")
	}},
	{"dollars", 1, func(b *strings.Builder, x string) {
		x = thousands(x)
		b.WriteString("So she makes ")
		b.WriteString(x)
		b.WriteString(" dollars.\n#### ")
		b.WriteString(x)
	}},
	{"bold", 1, func(b *strings.Builder, x string) {
		b.WriteString("**")
		b.WriteString(x)
		b.WriteString("**")
	}},
	{"prose", 2, func(b *strings.Builder, x string) {
		b.WriteString("First there are 2 parts, then 3 more steps, and after 12 checks the total is ")
		b.WriteString(x)
		b.WriteString(".")
	}},
}

var letterStyles = []style{
	{"answer", 4, func(b *strings.Builder, x string) {
		b.WriteString("Let's think step by step.\nAnswer: ")
		b.WriteString(x)
	}},
	{"bold", 2, func(b *strings.Builder, x string) {
		b.WriteString("**Answer: ")
		b.WriteString(x)
		b.WriteString("**")
	}},
	{"option", 3, func(b *strings.Builder, x string) {
		b.WriteString("The correct option is ")
		b.WriteString(x)
		b.WriteString(".\nAnswer: ")
		b.WriteString(x)
	}},
	{"lower", 1, func(b *strings.Builder, x string) {
		b.WriteString("answer: ")
		b.WriteString(strings.ToLower(x))
	}},
}

var mathStyles = []style{
	{"answer", 5, func(b *strings.Builder, x string) {
		b.WriteString("Working through the problem step by step.\nAnswer: ")
		b.WriteString(x)
	}},
	{"final", 3, func(b *strings.Builder, x string) {
		b.WriteString("The final answer is ")
		b.WriteString(x)
		b.WriteString(".\nAnswer: ")
		b.WriteString(x)
	}},
	{"lower", 2, func(b *strings.Builder, x string) {
		b.WriteString("answer: ")
		b.WriteString(x)
	}},
}

// answer computes the reply to rec for model.
func (s *Server) answer(model string, rec *record) Answer {
	a := Answer{ID: rec.id, Gold: rec.gold}
	a.Correct = unit(s.sampleHash(model, rec.id, saltCorrect)) < s.accuracy(model)
	wrong := s.sampleHash(model, rec.id, saltWrong)
	var styles []style
	switch rec.kind {
	case kindNumber:
		styles = numberStyles
		a.Stated = strings.ReplaceAll(rec.gold, ",", "")
		if !a.Correct {
			a.Stated = wrongNumber(a.Stated, wrong)
		}
	case kindLetter:
		styles = letterStyles
		a.Stated = rec.gold
		if !a.Correct {
			a.Stated = wrongLetter(rec.gold, rec.choices, wrong)
		}
	default:
		styles = mathStyles
		a.Stated = rec.gold
		if !a.Correct {
			a.Stated = wrongMath(rec.gold, wrong)
		}
	}
	st := pickStyle(styles, s.sampleHash(model, rec.id, saltStyle))
	var b strings.Builder
	b.Grow(96 + 2*len(a.Stated))
	st.render(&b, a.Stated)
	a.Style, a.Text = st.name, b.String()
	return a
}

// pickStyle chooses a style by weight.
func pickStyle(styles []style, h uint64) style {
	var total uint64
	for _, s := range styles {
		total += s.weight
	}
	r := h % total
	for _, s := range styles {
		if r < s.weight {
			return s
		}
		r -= s.weight
	}
	return styles[len(styles)-1]
}

// wrongNumber returns a number different from gold.
func wrongNumber(gold string, h uint64) string {
	delta := int64(1 + h%9)
	if h&(1<<32) != 0 {
		delta = -delta
	}
	if n, err := strconv.ParseInt(gold, 10, 64); err == nil {
		return strconv.FormatInt(n+delta, 10)
	}
	if f, err := strconv.ParseFloat(gold, 64); err == nil {
		return strconv.FormatFloat(f+float64(delta), 'f', -1, 64)
	}
	return gold + "1"
}

// wrongLetter returns a letter among the first n other than gold.
func wrongLetter(gold string, n int, h uint64) string {
	if n < 2 {
		n = 4
	}
	g := int(gold[0] - 'A')
	return string(rune('A' + (g+1+int(h%uint64(n-1)))%n))
}

// wrongMath returns an expression different from gold.
func wrongMath(gold string, h uint64) string {
	if _, err := strconv.ParseInt(gold, 10, 64); err == nil {
		return wrongNumber(gold, h)
	}
	return gold + "+1"
}

// thousands inserts commas into an integer of four or more digits.
func thousands(x string) string {
	digits := strings.TrimPrefix(x, "-")
	if len(digits) < 4 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return x
	}
	var b strings.Builder
	if len(digits) != len(x) {
		b.WriteByte('-')
	}
	first := len(digits) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteByte(',')
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// FNV-1a parameters.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// mix64 is the splitmix64 finaliser.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 {
	return float64(h>>11) / (1 << 53)
}

// sampleHash hashes (seed, salt, model, id).
func (s *Server) sampleHash(model, id string, salt uint64) uint64 {
	h := fnvOffset ^ mix64(uint64(s.cfg.Seed)+salt*0x9e3779b97f4a7c15)
	h = fnvString(h, model)
	h ^= 0xff // separator: ("ab","c") and ("a","bc") differ
	h *= fnvPrime
	h = fnvString(h, id)
	return mix64(h)
}

// requestHash hashes (seed, salt, request sequence number).
func (s *Server) requestHash(seq int64, salt uint64) uint64 {
	return mix64(mix64(uint64(s.cfg.Seed)+salt*0x9e3779b97f4a7c15) + uint64(seq))
}
