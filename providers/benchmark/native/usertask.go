package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/benchmark/scoring"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/openai"
)

// userTask is a task block (spec.UserTask). Its prompt, target and choices are evaluated
// once per record with the record's fields as "record"; the functions are plan/config's,
// with env() always "" and file() relative to the working directory.
type userTask struct {
	t     *config.Task
	funcs map[string]function.Function
	// prefix is the system message and few-shot pairs sent before every question; set
	// by loadShots.
	prefix []openai.Message
}

// newUserTask checks a task block's metric, normalize list and extract pattern.
func newUserTask(spec *plan.RunSpec) (*userTask, error) {
	t := spec.UserTask
	switch t.Metric {
	case "", scoring.MetricExactMatch, scoring.MetricContains, scoring.MetricRegex, scoring.MetricChoice:
	default:
		return nil, fmt.Errorf("task %q: metric %q: want exact_match, contains, regex or choice", t.Name, t.Metric)
	}
	if err := scoring.CheckNormalize(t.Normalize); err != nil {
		return nil, fmt.Errorf("task %q: %w", t.Name, err)
	}
	if t.Extract != "" {
		if _, err := regexp.Compile(t.Extract); err != nil {
			return nil, fmt.Errorf("task %q: extract: %w", t.Name, err)
		}
	}
	if t.Prompt == nil || t.Target == nil {
		return nil, fmt.Errorf("task %q: prompt and target are required", t.Name)
	}
	if taskMetric(t) == scoring.MetricChoice && t.Choices == nil {
		return nil, fmt.Errorf("task %q: metric \"choice\" needs choices", t.Name)
	}
	if t.FewShot < 0 {
		return nil, fmt.Errorf("task %q: few_shot = %d: want 0 or more", t.Name, t.FewShot)
	}
	if t.FewShot > 0 && t.FewShotDataset == "" {
		return nil, fmt.Errorf("task %q: few_shot = %d needs few_shot_dataset", t.Name, t.FewShot)
	}
	u := &userTask{t: t, funcs: config.Functions("")}
	if t.SystemPrompt != "" {
		u.prefix = []openai.Message{{Role: "system", Content: t.SystemPrompt}}
	}
	return u, nil
}

// metric is the task block's metric, exact_match by default.
func (t *userTask) metric() string { return taskMetric(t.t) }

func taskMetric(t *config.Task) string {
	if t.Metric == "" {
		return scoring.MetricExactMatch
	}
	return t.Metric
}

// loadShots reads the first few_shot records of the few-shot dataset into the prefix, each
// as a user message (its prompt) and an assistant message (its target).
func (t *userTask) loadShots(ctx context.Context, spec *plan.RunSpec) error {
	if t.t.FewShot == 0 {
		return nil
	}
	if spec.FewShot.Path == "" {
		return fmt.Errorf("task %q: few_shot_dataset %q was not fetched for this run", t.t.Name, t.t.FewShotDataset)
	}
	errEnough := errors.New("enough")
	n := 0
	err := dataset.Read(ctx, spec.FewShot, spec.FewShotConfig, func(row int, rec dataset.Record) error {
		it, err := t.render(rec, row)
		if err != nil {
			return fmt.Errorf("few-shot dataset %s row %d: %w", spec.FewShot.Path, row, err)
		}
		t.prefix = append(t.prefix,
			openai.Message{Role: "user", Content: it.prompt},
			openai.Message{Role: "assistant", Content: it.target})
		if n++; n == t.t.FewShot {
			return errEnough
		}
		return nil
	})
	switch {
	case errors.Is(err, errEnough):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("task %q: few_shot = %d but few_shot_dataset %q has %d records", t.t.Name, t.t.FewShot, t.t.FewShotDataset, n)
}

// rendered is a record's prompt, target and choices.
type rendered struct {
	prompt, target string
	choices        []string
}

// render evaluates the task block's expressions for one record.
func (t *userTask) render(rec dataset.Record, row int) (*rendered, error) {
	rv, err := toCty(map[string]any(rec))
	if err != nil {
		return nil, err
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"record": rv}, Functions: t.funcs}
	var r rendered
	if r.prompt, err = evalString(ctx, t.t.Prompt, "prompt"); err != nil {
		return nil, err
	}
	if r.target, err = evalString(ctx, t.t.Target, "target"); err != nil {
		return nil, err
	}
	if t.t.Choices != nil {
		if r.choices, err = evalStrings(ctx, t.t.Choices, "choices"); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

func (t *userTask) parse(rec dataset.Record, row int) (*item, error) {
	r, err := t.render(rec, row)
	if err != nil {
		return nil, err
	}
	msgs := make([]openai.Message, 0, len(t.prefix)+1)
	msgs = append(append(msgs, t.prefix...), openai.Message{Role: "user", Content: r.prompt})
	return &item{id: rowID(rec, row), messages: msgs, target: r.target, choices: r.choices}, nil
}

// score applies extract (no match: extracted null, score 0), then the normalize list to
// the prediction and the target (and choices), then the metric. The extracted value
// journaled is the normalized prediction. For regex the target is the pattern and is not
// normalized.
func (t *userTask) score(_ context.Context, _ grader, response string, it *item) (*verdict, error) {
	name := t.metric()
	pred := &response
	if t.t.Extract != "" {
		x, err := scoring.Extract(response, t.t.Extract)
		if err != nil {
			return nil, fmt.Errorf("extract: %w", err)
		}
		pred = x
	}
	v := &verdict{extracted: map[string]*string{name: nil}, score: map[string]float64{name: 0}}
	if pred == nil {
		return v, nil
	}
	ops := t.t.Normalize
	p := scoring.NormalizeText(*pred, ops)
	v.extracted[name] = &p
	var ok bool
	switch name {
	case scoring.MetricContains:
		ok = scoring.Contains(p, scoring.NormalizeText(it.target, ops))
	case scoring.MetricRegex:
		var err error
		if ok, err = scoring.RegexMatch(p, it.target); err != nil {
			return nil, fmt.Errorf("target is not a valid regular expression: %w", err)
		}
	case scoring.MetricChoice:
		choices := make([]string, len(it.choices))
		for i, c := range it.choices {
			choices[i] = scoring.NormalizeText(c, ops)
		}
		ok = scoring.ChoiceMatch(p, choices, scoring.NormalizeText(it.target, ops))
	default:
		ok = scoring.ExactMatch(p, scoring.NormalizeText(it.target, ops))
	}
	v.score[name] = b2f(ok)
	return v, nil
}

func (t *userTask) metrics() []string { return []string{t.metric()} }

func (t *userTask) groups() []string { return nil }

func (t *userTask) scorer() string { return scoring.UserTaskVersion }

// evalString evaluates an expression to a string (numbers and bools are converted).
func evalString(ctx *hcl.EvalContext, expr hcl.Expression, what string) (string, error) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return "", fmt.Errorf("%s: %s", what, diags.Error())
	}
	return ctyString(v, what)
}

// evalStrings evaluates an expression to a list of strings.
func evalStrings(ctx *hcl.EvalContext, expr hcl.Expression, what string) ([]string, error) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", what, diags.Error())
	}
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()) {
		return nil, fmt.Errorf("%s: want a list of strings, got %s", what, v.Type().FriendlyName())
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		s, err := ctyString(e, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func ctyString(v cty.Value, what string) (string, error) {
	if v.IsNull() {
		return "", fmt.Errorf("%s is null", what)
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() {
		return "", fmt.Errorf("%s: want a string, got %s", what, v.Type().FriendlyName())
	}
	return s.AsString(), nil
}

// toCty converts a decoded record value: strings, json.Number (a number), bools, null,
// lists (tuples) and objects.
func toCty(v any) (cty.Value, error) {
	switch v := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case string:
		return cty.StringVal(v), nil
	case bool:
		return cty.BoolVal(v), nil
	case json.Number:
		n, err := cty.ParseNumberVal(v.String())
		if err != nil {
			return cty.NilVal, fmt.Errorf("number %s: %w", v, err)
		}
		return n, nil
	case float64:
		return cty.NumberFloatVal(v), nil
	case int64:
		return cty.NumberIntVal(v), nil
	case int:
		return cty.NumberIntVal(int64(v)), nil
	case []any:
		if len(v) == 0 {
			return cty.EmptyTupleVal, nil
		}
		out := make([]cty.Value, len(v))
		for i, e := range v {
			c, err := toCty(e)
			if err != nil {
				return cty.NilVal, err
			}
			out[i] = c
		}
		return cty.TupleVal(out), nil
	case map[string]any:
		if len(v) == 0 {
			return cty.EmptyObjectVal, nil
		}
		out := make(map[string]cty.Value, len(v))
		for k, e := range v {
			c, err := toCty(e)
			if err != nil {
				return cty.NilVal, err
			}
			out[k] = c
		}
		return cty.ObjectVal(out), nil
	}
	return cty.NilVal, fmt.Errorf("unsupported value of type %T", v)
}
