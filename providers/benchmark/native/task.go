package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/benchmark/scoring"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/openai"
)

// task is one native task: how to read its records and score its answers.
type task interface {
	// parse decodes one dataset record; row is its 0-based row within its file.
	parse(rec dataset.Record, row int) (*item, error)
	// score extracts answers from a response and scores each metric. judge is nil when
	// the run has no judge endpoint. An error makes the sample an error, never a 0.
	score(ctx context.Context, judge grader, response string, it *item) (*verdict, error)
	// metrics lists the metric names, primary first.
	metrics() []string
	// groups lists the subscore groups (such as "subject"), in order; nil for none.
	groups() []string
	// scorer is the scorer version.
	scorer() string
}

// item is one dataset record, ready to send.
type item struct {
	id string
	// messages is the chat prompt: an optional system message, few-shot user/assistant
	// pairs, then the question as a user message.
	messages []openai.Message
	target   string
	// letters are a multiple-choice item's answer letters, such as "ABCD".
	letters string
	// mc are the compiled answer patterns of letters, shared by the items of one run that
	// have the same letters; nil until streamSelected sets them (scoreChoice then compiles).
	mc *scoring.MCPatterns
	// choices are a task block's choices for metric "choice".
	choices []string
	// groups maps subscore group to this item's name in it.
	groups map[string]string
}

// verdict is a scored response.
type verdict struct {
	extracted map[string]*string
	score     map[string]float64
	// judge is the judge's raw answer, nil when no judge was asked.
	judge *string
}

// grader asks the judge endpoint one prompt and returns its answer text.
type grader func(ctx context.Context, prompt string) (string, error)

// userMessage is a prompt of one user message.
func userMessage(text string) []openai.Message {
	return []openai.Message{{Role: "user", Content: text}}
}

// plainText is the completions form of a chat prompt: the system message and each
// few-shot pair (question, a space, answer) end with a blank line, then the question. A
// single user message is sent exactly as it is.
func plainText(msgs []openai.Message) string {
	if len(msgs) == 1 {
		return msgs[0].Content
	}
	var b strings.Builder
	for i, m := range msgs {
		switch {
		case i == len(msgs)-1:
			b.WriteString(m.Content)
		case m.Role == "user":
			b.WriteString(m.Content)
			b.WriteByte(' ')
		default:
			b.WriteString(m.Content)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// taskFor returns the task of a run spec: a task block (spec.UserTask) or a native
// benchmark such as "native.gsm8k".
func taskFor(spec *plan.RunSpec) (task, error) {
	if spec.UserTask != nil {
		return newUserTask(spec)
	}
	name := spec.Benchmark
	if spec.Task != nil {
		name = spec.Task.Name
	}
	switch name {
	case "native.gsm8k":
		return gsm8k{}, nil
	case "native.mmlu":
		return mmlu{}, nil
	case "native.arc_challenge":
		return arc{}, nil
	case "native.math500":
		return math500{}, nil
	case "":
		return nil, errors.New("run spec has no task")
	}
	return nil, fmt.Errorf("native task %q is not supported; native tasks are native.gsm8k, native.mmlu, native.arc_challenge and native.math500", name)
}

// datasetConfig is how a task reads its dataset: the spec's dataset block, if any, with
// what the task needs of files that carry no column names (MMLU's CSV).
func datasetConfig(spec *plan.RunSpec, t task) *config.Dataset {
	ds := &config.Dataset{}
	if spec.DatasetConfig != nil {
		c := *spec.DatasetConfig
		ds = &c
	}
	// header = false without columns says "no header row": MMLU's columns apply as when
	// nothing is set, not col0, col1, ... that no MMLU field is read from.
	if _, ok := t.(mmlu); ok && len(ds.Columns) == 0 && (ds.Header == nil || !*ds.Header) {
		ds.Columns = mmluColumns
		header := false
		ds.Header = &header
	}
	return ds
}

// rowID is the id of a record without an id field: "<_file>/<row>" for a record of a
// directory or glob source, else the row number.
func rowID(rec dataset.Record, row int) string {
	if f, ok := rec["_file"].(string); ok {
		return f + "/" + strconv.Itoa(row)
	}
	return strconv.Itoa(row)
}

// fieldID is the id of a record from its own id field, or rowID when the field is absent.
func fieldID(rec dataset.Record, field string, row int) (string, error) {
	v, ok := rec[field]
	if !ok || v == nil {
		return rowID(rec, row), nil
	}
	s, ok := scalarString(v)
	if !ok || s == "" {
		return "", fmt.Errorf("field %q: want a non-empty string or number", field)
	}
	return s, nil
}

// scalarString is a string or number as text.
func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// stringField is a record's string field; a missing or non-string field is an error.
func stringField(rec dataset.Record, field string) (string, error) {
	s, ok := rec[field].(string)
	if !ok {
		return "", fmt.Errorf("record needs a string field %q", field)
	}
	return s, nil
}

// gsm8kPrompt is evalplan's zero-shot chat prompt for GSM8K (shared/reference/scoring.md).
const gsm8kPrompt = "Solve the following math problem step by step. The last line of your response " +
	"should be of the form \"#### ANSWER\" where ANSWER is the final number, with no units.\n\n"

// gsm8k is native.gsm8k: JSONL {question, answer}, scored as lm-evaluation-harness does.
type gsm8k struct{}

func (gsm8k) parse(rec dataset.Record, row int) (*item, error) {
	q, qok := rec["question"].(string)
	a, aok := rec["answer"].(string)
	if !qok || !aok {
		return nil, errors.New(`record needs string fields "question" and "answer"`)
	}
	if !hasGSM8KAnswer(a) {
		// Scored against it, every response would be wrong: a 0 that says nothing of the model.
		return nil, fmt.Errorf(`field "answer" has no final answer line "#### <number>" (GSM8K answers end with one, such as "#### 18"): `+
			`fix the record or remove it from the dataset; got %q`, truncate(a, 80))
	}
	return &item{id: rowID(rec, row), messages: userMessage(gsm8kPrompt + q), target: a}, nil
}

// hasGSM8KAnswer reports whether a GSM8K answer holds a final answer: text after its last
// "#### ", the part exact_match compares (scoring.GSM8KNormalize).
func hasGSM8KAnswer(a string) bool {
	i := strings.LastIndex(a, "#### ")
	return i >= 0 && strings.TrimSpace(a[i+len("#### "):]) != ""
}

// truncate shortens s to at most n bytes, on a rune boundary, marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (gsm8k) score(_ context.Context, _ grader, response string, it *item) (*verdict, error) {
	strict := scoring.StrictMatch(response)
	flexible := scoring.FlexibleExtract(response)
	return &verdict{
		extracted: map[string]*string{
			scoring.MetricStrictMatch:     &strict,
			scoring.MetricFlexibleExtract: &flexible,
		},
		score: map[string]float64{
			scoring.MetricStrictMatch:     b2f(scoring.GSM8KExactMatch(strict, it.target)),
			scoring.MetricFlexibleExtract: b2f(scoring.GSM8KExactMatch(flexible, it.target)),
		},
	}, nil
}

func (gsm8k) metrics() []string {
	return []string{scoring.MetricFlexibleExtract, scoring.MetricStrictMatch}
}

func (gsm8k) groups() []string { return nil }

func (gsm8k) scorer() string { return scoring.GSM8KVersion }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
