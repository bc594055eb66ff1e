package sim

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// answerKind is how a record's answer is phrased.
type answerKind uint8

const (
	kindNumber answerKind = iota // GSM8K: a number
	kindLetter                   // multiple choice: a letter A..
	kindMath                     // MATH: a LaTeX expression
)

// record is one recognisable dataset item.
type record struct {
	id   string
	kind answerKind
	// gold is the answer as the dataset gives it (for GSM8K, the text after "#### ").
	gold string
	// choices is the number of options of a multiple-choice item.
	choices int
	// question is the whitespace-trimmed question text.
	question string
	// options are a multiple-choice item's option texts; they tell apart records whose
	// questions are the same.
	options []string
	// next is the following record with the same question.
	next *record
}

// index maps question texts and ids to records.
type index struct {
	byQuestion map[string]*record
	// byFirst maps the first paragraph of each question that has several to its records.
	byFirst map[string][]*record
	byID    map[string]*record
}

func newIndex() *index {
	return &index{byQuestion: map[string]*record{}, byFirst: map[string][]*record{}, byID: map[string]*record{}}
}

// add indexes rec under question. Records with the same question are chained (lookup
// tells them apart by their options); the first record wins a duplicate id.
func (x *index) add(question string, rec *record) {
	if _, dup := x.byID[rec.id]; !dup {
		x.byID[rec.id] = rec
	}
	q := strings.TrimSpace(question)
	if q == "" {
		return
	}
	rec.question = q
	if first := x.byQuestion[q]; first != nil {
		last := first
		for last.next != nil {
			last = last.next
		}
		last.next = rec
		return
	}
	x.byQuestion[q] = rec
	if i := strings.Index(q, "\n\n"); i >= 0 {
		p := strings.TrimSpace(q[:i])
		x.byFirst[p] = append(x.byFirst[p], rec)
	}
}

// load reads one dataset file: ".csv" is MMLU's CSV, anything else JSONL whose records are
// recognised by their fields.
func (x *index) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		err = x.loadMMLU(f, base)
	} else {
		err = x.loadJSONL(f)
	}
	if err != nil {
		return fmt.Errorf("load dataset %s: %w", path, err)
	}
	return nil
}

// loadMMLU reads MMLU's header-less CSV: question, options..., answer letter.
func (x *index) loadMMLU(r io.Reader, base string) error {
	cr := csv.NewReader(r)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	for row := 0; ; row++ {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", row, err)
		}
		if row == 0 && len(fields) > 0 {
			fields[0] = strings.TrimPrefix(fields[0], "\ufeff")
		}
		if len(fields) < 4 {
			return fmt.Errorf("row %d: %d fields, want question, options and answer", row, len(fields))
		}
		n := len(fields) - 2
		gold := strings.TrimSpace(fields[len(fields)-1])
		if len(gold) != 1 || gold[0] < 'A' || int(gold[0]-'A') >= n {
			return fmt.Errorf("row %d: answer %q is not a letter A..%c", row, gold, 'A'+n-1)
		}
		x.add(fields[0], &record{id: base + "/" + strconv.Itoa(row), kind: kindLetter, gold: gold, choices: n, options: fields[1 : n+1]})
	}
}

// jsonRecord has the fields of every JSONL format the simulator reads.
type jsonRecord struct {
	ID        string          `json:"id"`
	UniqueID  string          `json:"unique_id"`
	Problem   *string         `json:"problem"`
	Question  json.RawMessage `json:"question"`
	Answer    json.RawMessage `json:"answer"`
	AnswerKey string          `json:"answerKey"`
}

// arcQuestion is the question object of an ARC record.
type arcQuestion struct {
	Stem    string `json:"stem"`
	Choices []struct {
		Text  string `json:"text"`
		Label string `json:"label"`
	} `json:"choices"`
}

// loadJSONL reads GSM8K, MATH-500 and ARC records, one JSON object a line.
func (x *index) loadJSONL(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	row := 0
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var jr jsonRecord
		if err := json.Unmarshal(b, &jr); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := x.addJSON(&jr, row); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		row++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// addJSON indexes one JSONL record; row is its 0-based position among the file's records.
func (x *index) addJSON(jr *jsonRecord, row int) error {
	switch {
	case jr.Problem != nil:
		gold, err := stringOrNumber(jr.Answer)
		if err != nil {
			return fmt.Errorf("MATH answer: %w", err)
		}
		id := jr.UniqueID
		if id == "" {
			id = strconv.Itoa(row)
		}
		x.add(*jr.Problem, &record{id: id, kind: kindMath, gold: strings.TrimSpace(gold)})
	case len(jr.Question) > 0 && jr.Question[0] == '{':
		var q arcQuestion
		if err := json.Unmarshal(jr.Question, &q); err != nil {
			return fmt.Errorf("ARC question: %w", err)
		}
		pos := -1
		options := make([]string, len(q.Choices))
		for i, c := range q.Choices {
			options[i] = c.Text
			if c.Label == jr.AnswerKey {
				pos = i
			}
		}
		if pos < 0 || pos >= 26 {
			return fmt.Errorf("ARC answerKey %q is not among the choice labels", jr.AnswerKey)
		}
		id := jr.ID
		if id == "" {
			id = strconv.Itoa(row)
		}
		x.add(q.Stem, &record{id: id, kind: kindLetter, gold: string(rune('A' + pos)), choices: len(q.Choices), options: options})
	case len(jr.Question) > 0 && jr.Question[0] == '"':
		var q, ans string
		if err := json.Unmarshal(jr.Question, &q); err != nil {
			return fmt.Errorf("GSM8K question: %w", err)
		}
		if err := json.Unmarshal(jr.Answer, &ans); err != nil {
			return fmt.Errorf("GSM8K answer: %w", err)
		}
		i := strings.LastIndex(ans, "#### ")
		if i < 0 {
			return errors.New(`GSM8K answer has no "#### " line`)
		}
		x.add(q, &record{id: strconv.Itoa(row), kind: kindNumber, gold: strings.TrimSpace(ans[i+len("#### "):])})
	default:
		return errors.New("unrecognised record: want GSM8K {question, answer}, MATH {problem, answer} or ARC {id, question: {stem, choices}, answerKey}")
	}
	return nil
}

// stringOrNumber decodes a JSON string or number as text.
func stringOrNumber(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("want a string or number: %w", err)
	}
	return n.String(), nil
}

// lookup finds the record whose question is the prompt, one of its paragraphs (blocks
// between blank lines), a question of several paragraphs starting at one of them, or a
// few-shot block "Question: Q\nAnswer:". Paragraphs are tried last first: the question is
// usually near the end.
func (x *index) lookup(prompt string) *record {
	if len(x.byQuestion) == 0 {
		return nil
	}
	if r := x.byQuestion[strings.TrimSpace(prompt)]; r != nil {
		return r.among(prompt)
	}
	end := len(prompt)
	for end >= 0 {
		start := strings.LastIndex(prompt[:end], "\n\n")
		at := start + 2
		if start < 0 {
			at = 0
		}
		if r := x.lookupBlock(prompt, prompt[at:end], at); r != nil {
			return r.among(prompt)
		}
		if start < 0 {
			break
		}
		end = start
	}
	return nil
}

// lookupBlock tries one paragraph of prompt, starting at offset at.
func (x *index) lookupBlock(prompt, block string, at int) *record {
	b := strings.TrimSpace(block)
	if b == "" {
		return nil
	}
	if r := x.byQuestion[b]; r != nil {
		return r
	}
	if q, ok := fewShotQuestion(b); ok {
		if r := x.byQuestion[q]; r != nil {
			return r
		}
	}
	rest := prompt[at+strings.Index(block, b):]
	var best *record
	for _, r := range x.byFirst[b] {
		if strings.HasPrefix(rest, r.question) && (best == nil || len(r.question) > len(best.question)) {
			best = r
		}
	}
	return best
}

// among picks from r's chain (records with the same question, in load order) the first
// multiple-choice record whose options all appear in prompt, else the first record
// without options, else r.
func (r *record) among(prompt string) *record {
	if r.next == nil {
		return r
	}
	var plain *record
	for c := r; c != nil; c = c.next {
		switch {
		case len(c.options) > 0 && containsAll(prompt, c.options):
			return c
		case len(c.options) == 0 && plain == nil:
			plain = c
		}
	}
	if plain != nil {
		return plain
	}
	return r
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, strings.TrimSpace(sub)) {
			return false
		}
	}
	return true
}

// fewShotQuestion extracts Q from a completions-style block "Question: Q\nAnswer:".
func fewShotQuestion(b string) (string, bool) {
	q, ok := strings.CutPrefix(b, "Question:")
	if !ok {
		return "", false
	}
	q, ok = strings.CutSuffix(q, "Answer:")
	if !ok {
		return "", false
	}
	return strings.TrimSpace(q), true
}
