package native

import (
	"context"
	"fmt"

	"github.com/evalplan/evalplan/providers/benchmark/scoring"
	"github.com/evalplan/evalplan/providers/dataset"
)

// math500 is native.math500: JSON Lines {problem, answer, unique_id, subject, level}, with
// simple-evals' prompt and "Answer:" extraction. Without a judge the extracted answer is
// compared with scoring.MathEqual; with one, the judge decides, asked with simple-evals'
// equality prompt (the target as expression 1, the extracted answer as expression 2). A
// response without an "Answer:" line scores 0 without asking the judge. A judge answer
// that is neither Yes nor No makes the sample an error.
type math500 struct{}

func (math500) parse(rec dataset.Record, row int) (*item, error) {
	id, err := fieldID(rec, "unique_id", row)
	if err != nil {
		return nil, err
	}
	problem, err := stringField(rec, "problem")
	if err != nil {
		return nil, err
	}
	answer, ok := scalarString(rec["answer"])
	if !ok {
		return nil, fmt.Errorf("record needs a string field %q", "answer")
	}
	it := &item{id: id, messages: userMessage(scoring.MathPrompt(problem)), target: answer}
	for _, g := range []string{groupSubject, groupLevel} {
		if s, ok := scalarString(rec[g]); ok && s != "" {
			if it.groups == nil {
				it.groups = map[string]string{}
			}
			it.groups[g] = s
		}
	}
	return it, nil
}

func (math500) score(ctx context.Context, judge grader, response string, it *item) (*verdict, error) {
	x := scoring.ExtractMathAnswer(response)
	v := &verdict{
		extracted: map[string]*string{scoring.MetricAccuracy: x},
		score:     map[string]float64{scoring.MetricAccuracy: 0},
	}
	switch {
	case x == nil:
		return v, nil
	case judge == nil:
		v.score[scoring.MetricAccuracy] = b2f(scoring.MathEqual(*x, it.target))
		return v, nil
	}
	answer, err := judge(ctx, scoring.JudgePrompt(it.target, *x))
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	v.judge = &answer
	equal, ok := scoring.ParseJudge(answer)
	if !ok {
		return v, fmt.Errorf("judge answer unparsable: %q", clip(answer, 200))
	}
	v.score[scoring.MetricAccuracy] = b2f(equal)
	return v, nil
}

// clip shortens s to at most n runes for a message, marking the cut.
func clip(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

func (math500) metrics() []string { return []string{scoring.MetricAccuracy} }

func (math500) groups() []string { return []string{groupSubject, groupLevel} }

func (math500) scorer() string { return scoring.MathVersion }
