package native

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/providers/benchmark/scoring"
	"github.com/evalplan/evalplan/providers/dataset"
)

// Subscore groups.
const (
	groupSubject  = "subject"
	groupCategory = "category"
	groupLevel    = "level"
)

// maxChoices is the most choices a multiple-choice item may have (one letter each).
const maxChoices = 26

// mmluColumns name the columns of MMLU's CSV files, which have no header row.
var mmluColumns = []string{"question", "A", "B", "C", "D", "answer"}

// scoreChoice scores a multiple-choice response: the extracted letter must equal the gold
// letter, case included; no "Answer: X" line extracts null.
func scoreChoice(response string, it *item) *verdict {
	var x *string
	if it.mc != nil {
		x = it.mc.Extract(response)
	} else {
		x = scoring.ExtractMCAnswer(response, it.letters)
	}
	return &verdict{
		extracted: map[string]*string{scoring.MetricAccuracy: x},
		score:     map[string]float64{scoring.MetricAccuracy: b2f(x != nil && *x == it.target)},
	}
}

// mmlu is native.mmlu: MMLU's header-less CSV (question, A, B, C, D, answer letter; the
// subject is the file name without _test or _dev), or JSON Lines / Parquet records with
// question, choices (a list) or A..D, answer (a letter or a 0-based index) and subject.
type mmlu struct{}

func (mmlu) parse(rec dataset.Record, row int) (*item, error) {
	// A CSV row with more fields than MMLU's six columns would shift its answer into a
	// choice: an unquoted comma, or a file with other columns.
	if _, extra := rec[fmt.Sprintf("col%d", len(mmluColumns))]; extra {
		return nil, fmt.Errorf("record has more than %d fields, but MMLU's CSV has %s: quote fields that hold commas, or name the file's columns with columns = [...] in the dataset block",
			len(mmluColumns), strings.Join(mmluColumns, ", "))
	}
	q, err := stringField(rec, "question")
	if err != nil {
		return nil, err
	}
	choices, err := mmluChoices(rec)
	if err != nil {
		return nil, err
	}
	letters := scoring.Letters(len(choices))
	gold, err := answerLetter(rec["answer"], letters)
	if err != nil {
		return nil, err
	}
	it := &item{
		id:       rowID(rec, row),
		messages: userMessage(scoring.MultipleChoicePrompt(q, choices)),
		target:   gold,
		letters:  letters,
	}
	if s := mmluSubject(rec); s != "" {
		it.groups = map[string]string{groupSubject: s, groupCategory: scoring.MMLUCategory(s)}
	}
	return it, nil
}

// mmluChoices are a record's choices: its "choices" list, else its fields A, B, C, D.
func mmluChoices(rec dataset.Record) ([]string, error) {
	if v, ok := rec["choices"]; ok {
		list, ok := v.([]any)
		if !ok || len(list) < 2 || len(list) > maxChoices {
			return nil, fmt.Errorf(`field "choices": want a list of 2 to %d strings`, maxChoices)
		}
		out := make([]string, len(list))
		for i, c := range list {
			s, ok := scalarString(c)
			if !ok {
				return nil, fmt.Errorf(`field "choices" item %d: want a string`, i)
			}
			out[i] = s
		}
		return out, nil
	}
	out := make([]string, 4)
	for i, f := range []string{"A", "B", "C", "D"} {
		s, ok := scalarString(rec[f])
		if !ok {
			return nil, errors.New(`record needs a list field "choices" or string fields "A", "B", "C" and "D"`)
		}
		out[i] = s
	}
	return out, nil
}

// answerLetter is the gold letter of an answer given as a letter or a 0-based index.
func answerLetter(v any, letters string) (string, error) {
	s, ok := scalarString(v)
	s = strings.TrimSpace(s)
	if !ok || s == "" {
		return "", errors.New(`record needs a field "answer": a letter or a 0-based index`)
	}
	if len(s) == 1 && strings.Contains(letters, s) {
		return s, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(letters) {
		return letters[n : n+1], nil
	}
	return "", fmt.Errorf(`field "answer" = %q: want one of %s or an index from 0 to %d`, s, letters, len(letters)-1)
}

// mmluSubject is a record's "subject", else its file name without _test or _dev; "" when
// neither is known.
func mmluSubject(rec dataset.Record) string {
	if s, ok := rec["subject"].(string); ok && s != "" {
		return s
	}
	f, _ := rec["_file"].(string)
	for _, suffix := range []string{"_test", "_dev"} {
		if s, ok := strings.CutSuffix(f, suffix); ok {
			return s
		}
	}
	return f
}

func (mmlu) score(_ context.Context, _ grader, response string, it *item) (*verdict, error) {
	return scoreChoice(response, it), nil
}

func (mmlu) metrics() []string { return []string{scoring.MetricAccuracy} }

func (mmlu) groups() []string { return []string{groupSubject, groupCategory} }

func (mmlu) scorer() string { return scoring.MMLUVersion }

// arc is native.arc_challenge: the ARC release's JSON Lines {id, question: {stem, choices:
// [{text, label}]}, answerKey}. Choices are shown as letters A.. in their order, whatever
// their labels ("1".."4" on some items); the gold letter is that of the choice whose label is
// answerKey.
type arc struct{}

func (arc) parse(rec dataset.Record, row int) (*item, error) {
	id, err := fieldID(rec, "id", row)
	if err != nil {
		return nil, err
	}
	q, ok := rec["question"].(map[string]any)
	if !ok {
		return nil, errors.New(`record needs an object field "question" with "stem" and "choices"`)
	}
	stem, ok := q["stem"].(string)
	if !ok {
		return nil, errors.New(`field "question.stem": want a string`)
	}
	list, ok := q["choices"].([]any)
	if !ok || len(list) < 2 || len(list) > maxChoices {
		return nil, fmt.Errorf(`field "question.choices": want a list of 2 to %d choices`, maxChoices)
	}
	key, ok := scalarString(rec["answerKey"])
	if !ok {
		return nil, errors.New(`record needs a string field "answerKey"`)
	}
	letters := scoring.Letters(len(list))
	choices := make([]string, len(list))
	gold := ""
	for i, c := range list {
		m, _ := c.(map[string]any)
		text, tok := m["text"].(string)
		label, lok := scalarString(m["label"])
		if !tok || !lok {
			return nil, fmt.Errorf(`field "question.choices" item %d: want {"text", "label"}`, i)
		}
		choices[i] = text
		if label == key && gold == "" {
			gold = letters[i : i+1]
		}
	}
	if gold == "" {
		return nil, fmt.Errorf("answerKey %q is not the label of any choice", key)
	}
	return &item{id: id, messages: userMessage(scoring.MultipleChoicePrompt(stem, choices)), target: gold, letters: letters}, nil
}

func (arc) score(_ context.Context, _ grader, response string, it *item) (*verdict, error) {
	return scoreChoice(response, it), nil
}

func (arc) metrics() []string { return []string{scoring.MetricAccuracy} }

func (arc) groups() []string { return nil }

func (arc) scorer() string { return scoring.ARCVersion }
