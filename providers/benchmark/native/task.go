package native

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evalplan/evalplan/providers/benchmark/scoring"
)

// task is one native task: how to read its records and score its answers.
type task interface {
	// parse decodes one dataset line into the user prompt text and the target.
	parse(line []byte) (item, error)
	// score extracts answers from a response and scores each metric.
	score(response, target string) (extracted map[string]*string, score map[string]float64)
	// metrics lists the metric names, primary first.
	metrics() []string
	// scorer is the scorer version.
	scorer() string
}

// item is one dataset record, ready to send.
type item struct {
	prompt string
	target string
}

// taskFor returns the task of a native benchmark name such as "native.gsm8k".
func taskFor(name string) (task, error) {
	switch name {
	case "native.gsm8k":
		return gsm8k{}, nil
	case "":
		return nil, errors.New("run spec has no task")
	}
	return nil, fmt.Errorf("native task %q is not yet supported", name)
}

// gsm8kPrompt is evalplan's zero-shot chat prompt for GSM8K (shared/reference/scoring.md).
const gsm8kPrompt = "Solve the following math problem step by step. The last line of your response " +
	"should be of the form \"#### ANSWER\" where ANSWER is the final number, with no units.\n\n"

// gsm8k is native.gsm8k: JSONL {question, answer}, scored as lm-evaluation-harness does.
type gsm8k struct{}

func (gsm8k) parse(line []byte) (item, error) {
	var rec struct {
		Question *string `json:"question"`
		Answer   *string `json:"answer"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return item{}, err
	}
	if rec.Question == nil || rec.Answer == nil {
		return item{}, errors.New(`record needs string fields "question" and "answer"`)
	}
	return item{prompt: gsm8kPrompt + *rec.Question, target: *rec.Answer}, nil
}

func (gsm8k) score(response, target string) (map[string]*string, map[string]float64) {
	strict := scoring.StrictMatch(response)
	flexible := scoring.FlexibleExtract(response)
	return map[string]*string{
			scoring.MetricStrictMatch:     &strict,
			scoring.MetricFlexibleExtract: &flexible,
		}, map[string]float64{
			scoring.MetricStrictMatch:     b2f(scoring.GSM8KExactMatch(strict, target)),
			scoring.MetricFlexibleExtract: b2f(scoring.GSM8KExactMatch(flexible, target)),
		}
}

func (gsm8k) metrics() []string {
	return []string{scoring.MetricFlexibleExtract, scoring.MetricStrictMatch}
}

func (gsm8k) scorer() string { return scoring.GSM8KVersion }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
