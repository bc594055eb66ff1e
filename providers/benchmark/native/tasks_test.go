package native

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/scoring"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/schema"
)

// scriptDoer answers by the content of a request's last message: the first rule whose key
// the content contains gives the answer. Judge requests are told by their model. It is
// safe for concurrent use.
type scriptDoer struct {
	rules      []rule
	judgeModel string
	judge      func(prompt string) (string, error)

	mu     sync.Mutex
	reqs   []*openai.Request
	judged []string
}

type rule struct{ key, answer string }

func (d *scriptDoer) Do(_ context.Context, req *openai.Request) (*openai.Response, error) {
	text := req.Prompt
	if req.Kind == openai.KindChat {
		text = req.Messages[len(req.Messages)-1].Content
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if req.Model == d.judgeModel && d.judge != nil {
		d.judged = append(d.judged, text)
		answer, err := d.judge(text)
		if err != nil {
			return nil, err
		}
		return &openai.Response{Text: answer, Attempts: 1}, nil
	}
	d.reqs = append(d.reqs, req)
	for _, r := range d.rules {
		if strings.Contains(text, r.key) {
			return &openai.Response{Text: r.answer, Usage: openai.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}, Attempts: 1}, nil
		}
	}
	return nil, fmt.Errorf("fake: no rule for %q", text)
}

// taskSpec is a run spec of a native benchmark over a fixture.
func taskSpec(dir, name, path string) *plan.RunSpec {
	_, short, _ := strings.Cut(name, ".")
	return &plan.RunSpec{
		Address:   fmt.Sprintf(`suite.s.run[%q]["qwen"]`, name),
		Suite:     "s",
		Benchmark: name,
		Task:      &schema.Task{Name: name, Harness: "native", Task: short},
		Endpoint:  &config.Endpoint{Name: "qwen", Model: "qwen-7b", Type: "chat", URL: "http://127.0.0.1:1/v1"},
		Dataset:   plan.DatasetFile{Path: path},
		Params:    config.Params{Parallelism: ptr(3)},
		Identity:  "0123456789abcdef",
		RunDir:    dir,
	}
}

// sample is what a test expects of one journaled sample.
type sample struct {
	target    string
	extracted *string
	score     float64
	groups    map[string]string
	err       string // a substring of the error; "" for none
}

// runTask runs spec with d and returns the outcome and the journal's records by id.
func runTask(t *testing.T, spec *plan.RunSpec, d openai.Doer) (*plan.Outcome, map[string]*rundir.Record) {
	t.Helper()
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return d }, Now: fixedClock}
	out, err := r.Run(context.Background(), spec, nil)
	if err != nil {
		t.Fatalf("run: %v (outcome %+v)", err, out)
	}
	recs := map[string]*rundir.Record{}
	for _, rec := range readRecords(t, spec.RunDir) {
		recs[rec.ID] = rec
	}
	return out, recs
}

// checkSamples compares the journaled samples with want, metric by metric.
func checkSamples(t *testing.T, metric string, recs map[string]*rundir.Record, want map[string]sample) {
	t.Helper()
	if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(recs))); diff != "" {
		t.Fatalf("sample ids (-want +got):\n%s", diff)
	}
	for id, w := range want {
		rec := recs[id]
		got := sample{target: rec.Target, groups: rec.Groups}
		if rec.Error != nil {
			got.err = *rec.Error
			if w.err == "" || !strings.Contains(got.err, w.err) {
				t.Errorf("sample %s: error %q, want %q", id, got.err, w.err)
			}
			got.err = w.err
		} else {
			got.extracted, got.score = rec.Extracted[metric], rec.Score[metric]
		}
		if diff := cmp.Diff(w, got, cmp.AllowUnexported(sample{})); diff != "" {
			t.Errorf("sample %s (-want +got):\n%s", id, diff)
		}
	}
}

// checkSubscores compares the subscores' values and sizes with want (group → name → {value, n}).
func checkSubscores(t *testing.T, res *result.Result, want map[string]map[string][2]float64) {
	t.Helper()
	got := map[string]map[string][2]float64{}
	for g, names := range res.Subscores {
		got[g] = map[string][2]float64{}
		for name, m := range names {
			got[g][name] = [2]float64{m.Value, float64(m.N)}
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("subscores {value, n} (-want +got):\n%s", diff)
	}
}

func TestMMLU(t *testing.T) {
	bio := func(row int) string { return fmt.Sprintf("college_biology_test/%d", row) }
	phil := func(row int) string { return fmt.Sprintf("philosophy_test/%d", row) }
	bioGroups := map[string]string{"subject": "college_biology", "category": "stem"}
	philGroups := map[string]string{"subject": "philosophy", "category": "humanities"}
	d := &scriptDoer{rules: []rule{
		{"severely limits populations", "**Answer: B**"},
		{"A cell nucleus contains", "Thinking.\nAnswer: D"},
		{"three major domains", "Answer:\nC"},
		{"There is no rationale for myth", "answer: a"},
		{"Aesthetics deals with", "Réponse : C"},
		{"an unexamined life is a tragedy", "Answer: D\nAnswer: A"},
	}}
	spec := taskSpec(t.TempDir(), "native.mmlu", "testdata/mmlu")
	out, recs := runTask(t, spec, d)
	if out.Status != state.StatusComplete {
		t.Fatalf("outcome %+v", out)
	}
	// Gold letters are those of the CSV files' last column.
	checkSamples(t, "accuracy", recs, map[string]sample{
		bio(0):  {target: "C", extracted: ptr("B"), score: 0, groups: bioGroups},
		bio(1):  {target: "D", extracted: ptr("D"), score: 1, groups: bioGroups},
		bio(2):  {target: "A", extracted: ptr("C"), score: 0, groups: bioGroups}, // \s* crosses the line end
		phil(0): {target: "B", extracted: ptr("a"), score: 0, groups: philGroups},
		phil(1): {target: "C", extracted: ptr("C"), score: 1, groups: philGroups},
		phil(2): {target: "D", extracted: ptr("D"), score: 1, groups: philGroups},
	})
	// The quoted question keeps its newlines; CRLF line ends are not part of any field.
	want := []any{map[string]any{"role": "user", "content": scoring.MultipleChoicePrompt(
		"A cell nucleus contains which of the following?\nI. DNA\nII. Protein\nIII. RNA",
		[]string{"I only", "II only", "III only", "I, II, and III"})}}
	if diff := cmp.Diff(want, recs[bio(1)].Prompt); diff != "" {
		t.Errorf("prompt (-want +got):\n%s", diff)
	}
	if p := fmt.Sprint(recs[phil(0)].Prompt); !strings.Contains(p, `"There is no rationale for myth`) || strings.Contains(p, "\r") {
		t.Errorf("prompt of a question with doubled quotes: %s", p)
	}
	res := out.Result
	if res.Primary != "accuracy" || res.N != 6 || res.Score != 0.5 {
		t.Errorf("result primary %q n %d score %v, want accuracy 6 0.5", res.Primary, res.N, res.Score)
	}
	checkSubscores(t, res, map[string]map[string][2]float64{
		"subject":  {"college_biology": {1.0 / 3, 3}, "philosophy": {2.0 / 3, 3}},
		"category": {"stem": {1.0 / 3, 3}, "humanities": {2.0 / 3, 3}},
	})
}

func TestMMLUJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mmlu.jsonl")
	data := `{"question": "Q list index", "choices": ["w", "x", "y", "z"], "answer": 2, "subject": "anatomy"}
{"question": "Q letters", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "B", "subject": "anatomy"}
{"question": "Q string index", "choices": ["w", "x", "y", "z"], "answer": "0", "subject": "world_religions"}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &scriptDoer{rules: []rule{{"Q list index", "Answer: C"}, {"Q letters", "Answer: B"}, {"Q string index", "Answer: B"}}}
	out, recs := runTask(t, taskSpec(t.TempDir(), "native.mmlu", path), d)
	anatomy := map[string]string{"subject": "anatomy", "category": "other"}
	checkSamples(t, "accuracy", recs, map[string]sample{
		"0": {target: "C", extracted: ptr("C"), score: 1, groups: anatomy},
		"1": {target: "B", extracted: ptr("B"), score: 1, groups: anatomy},
		"2": {target: "A", extracted: ptr("B"), score: 0, groups: map[string]string{"subject": "world_religions", "category": "humanities"}},
	})
	checkSubscores(t, out.Result, map[string]map[string][2]float64{
		"subject":  {"anatomy": {1, 2}, "world_religions": {0, 1}},
		"category": {"other": {1, 2}, "humanities": {0, 1}},
	})
}

func TestARC(t *testing.T) {
	d := &scriptDoer{rules: []rule{
		{"planet rotates faster", "Answer: C"},
		{"riding on a sled", "Answer: B"},         // labels 1..4, answerKey 2
		{"toy truck rolls", "Answer: D"},          // three choices: D is not a letter of the item, but [1-4a-d] matches it
		{"nutrient source for some", "Answer: 4"}, // extracted, never mapped to a letter
		{"push a shopping cart", "Answer: B"},     // labels 1..3, answerKey 2
		{"warm-blooded animals", "Answer: E"},     // five choices
	}}
	out, recs := runTask(t, taskSpec(t.TempDir(), "native.arc_challenge", "testdata/arc_challenge_6.jsonl"), d)
	if out.Status != state.StatusComplete {
		t.Fatalf("outcome %+v", out)
	}
	checkSamples(t, "accuracy", recs, map[string]sample{
		"Mercury_7175875":        {target: "C", extracted: ptr("C"), score: 1},
		"NYSEDREGENTS_2008_8_34": {target: "B", extracted: ptr("B"), score: 1},
		"NYSEDREGENTS_2010_4_4":  {target: "A", extracted: ptr("D"), score: 0},
		"NYSEDREGENTS_2008_8_11": {target: "D", extracted: ptr("4"), score: 0},
		"NYSEDREGENTS_2012_8_42": {target: "B", extracted: ptr("B"), score: 1},
		"TIMSS_1995_8_J7":        {target: "D", extracted: ptr("E"), score: 0},
	})
	for id, letters := range map[string]string{"NYSEDREGENTS_2010_4_4": "ABC", "TIMSS_1995_8_J7": "ABCDE", "NYSEDREGENTS_2008_8_34": "ABCD"} {
		p := fmt.Sprint(recs[id].Prompt)
		last := string(letters[len(letters)-1])
		if !strings.Contains(p, "one of "+letters+".") || !strings.Contains(p, "\n"+last+") ") {
			t.Errorf("prompt of %s does not offer %s:\n%s", id, letters, p)
		}
	}
	if out.Result.Subscores != nil {
		t.Errorf("subscores = %v, want none", out.Result.Subscores)
	}
}

// mathRules answer the six MATH-500 fixtures: right, wrong, no answer line.
var mathRules = []rule{
	{"rectangular coordinates to polar", "So.\nAnswer: \\left( 3, \\frac{\\pi}{2} \\right)"},
	{"Define\n", "Answer: q - p"},
	{"f(-2) +f", "Answer: \\frac{14}{3}"},
	{"cross-country team", "I cannot tell."},
	{"2x = 3y = -z", "Answer: 45"},
	{"x = \\!\\sqr", "Answer: x=5"},
}

func TestMath500(t *testing.T) {
	out, recs := runTask(t, taskSpec(t.TempDir(), "native.math500", "testdata/math500_6.jsonl"), &scriptDoer{rules: mathRules})
	if out.Status != state.StatusComplete {
		t.Fatalf("outcome %+v", out)
	}
	pre2 := map[string]string{"subject": "Precalculus", "level": "2"}
	checkSamples(t, "accuracy", recs, map[string]sample{
		"test/precalculus/807.json":           {target: `\left( 3, \frac{\pi}{2} \right)`, extracted: ptr(`\left( 3, \frac{\pi}{2} \right)`), score: 1, groups: pre2},
		"test/intermediate_algebra/1994.json": {target: "p - q", extracted: ptr("q - p"), score: 0, groups: map[string]string{"subject": "Intermediate Algebra", "level": "5"}},
		"test/algebra/2584.json":              {target: `\frac{14}{3}`, extracted: ptr(`\frac{14}{3}`), score: 1, groups: map[string]string{"subject": "Algebra", "level": "3"}},
		"test/algebra/1349.json":              {target: `\text{Evelyn}`, extracted: nil, score: 0, groups: map[string]string{"subject": "Algebra", "level": "2"}},
		"test/precalculus/927.json":           {target: `90^\circ`, extracted: ptr("45"), score: 0, groups: map[string]string{"subject": "Precalculus", "level": "4"}},
		"test/algebra/2193.json":              {target: "x=5", extracted: ptr("x=5"), score: 1, groups: map[string]string{"subject": "Algebra", "level": "5"}},
	})
	if recs["test/algebra/2193.json"].Judge != nil {
		t.Errorf("judge answer recorded without a judge")
	}
	checkSubscores(t, out.Result, map[string]map[string][2]float64{
		"subject": {"Precalculus": {0.5, 2}, "Intermediate Algebra": {0, 1}, "Algebra": {2.0 / 3, 3}},
		"level":   {"2": {0.5, 2}, "3": {1, 1}, "4": {0, 1}, "5": {0.5, 2}},
	})
}

// TestMath500Judge grades with a judge endpoint: Yes scores 1, No scores 0 (even where the
// answers are textually equal), an unparsable answer or a failed judge request makes the
// sample an error, and a response without an answer line is not sent to the judge.
func TestMath500Judge(t *testing.T) {
	judge := func(prompt string) (string, error) {
		switch {
		case strings.Contains(prompt, "Expression 2: q - p"):
			return "Yes", nil
		case strings.Contains(prompt, `Expression 2: \frac{14}{3}`):
			return "No", nil
		case strings.Contains(prompt, "Expression 2: 45"):
			return "Perhaps they are.", nil
		case strings.Contains(prompt, "Expression 2: x=5"):
			return "", &openai.StatusError{Code: 500}
		}
		return "Yes.", nil
	}
	d := &scriptDoer{rules: mathRules, judgeModel: "grader", judge: judge}
	spec := taskSpec(t.TempDir(), "native.math500", "testdata/math500_6.jsonl")
	spec.Judge = &config.Endpoint{Name: "grader", Model: "grader", Type: "chat", URL: "http://127.0.0.1:2/v1"}
	out, recs := runTask(t, spec, d)
	if out.Status != state.StatusPartial || out.Result.N != 4 || out.Result.Errors != 2 {
		t.Fatalf("outcome %+v, want partial with 4 scored and 2 errors", out)
	}
	pre2 := map[string]string{"subject": "Precalculus", "level": "2"}
	checkSamples(t, "accuracy", recs, map[string]sample{
		"test/precalculus/807.json":           {target: `\left( 3, \frac{\pi}{2} \right)`, extracted: ptr(`\left( 3, \frac{\pi}{2} \right)`), score: 1, groups: pre2},
		"test/intermediate_algebra/1994.json": {target: "p - q", extracted: ptr("q - p"), score: 1, groups: map[string]string{"subject": "Intermediate Algebra", "level": "5"}},
		"test/algebra/2584.json":              {target: `\frac{14}{3}`, extracted: ptr(`\frac{14}{3}`), score: 0, groups: map[string]string{"subject": "Algebra", "level": "3"}},
		"test/algebra/1349.json":              {target: `\text{Evelyn}`, extracted: nil, score: 0, groups: map[string]string{"subject": "Algebra", "level": "2"}},
		"test/precalculus/927.json":           {target: `90^\circ`, err: `judge answer unparsable: "Perhaps they are."`, groups: map[string]string{"subject": "Precalculus", "level": "4"}},
		"test/algebra/2193.json":              {target: "x=5", err: "judge: ", groups: map[string]string{"subject": "Algebra", "level": "5"}},
	})
	judged := map[string]*string{}
	for id, rec := range recs {
		judged[id] = rec.Judge
	}
	if diff := cmp.Diff(map[string]*string{
		"test/precalculus/807.json":           ptr("Yes."),
		"test/intermediate_algebra/1994.json": ptr("Yes"),
		"test/algebra/2584.json":              ptr("No"),
		"test/algebra/1349.json":              nil,
		"test/precalculus/927.json":           ptr("Perhaps they are."),
		"test/algebra/2193.json":              nil,
	}, judged); diff != "" {
		t.Errorf("judge answers (-want +got):\n%s", diff)
	}
	if rec := recs["test/precalculus/927.json"]; rec.Response == nil || *rec.Response != "Answer: 45" {
		t.Errorf("an unparsable judge answer lost the response: %+v", rec)
	}
	if len(d.judged) != 5 {
		t.Errorf("%d judge requests, want 5 (none for the response without an answer)", len(d.judged))
	}
	// The judge sees the target as expression 1 and the extracted answer as expression 2.
	wantPrompt := scoring.JudgePrompt("p - q", "q - p")
	found := false
	for _, p := range d.judged {
		found = found || p == wantPrompt
	}
	if !found {
		t.Errorf("no judge request is JudgePrompt(target, extracted) = %q; got %q", wantPrompt, d.judged)
	}

	// Resuming asks again only for the two errors.
	d2 := &scriptDoer{rules: mathRules, judgeModel: "grader", judge: func(string) (string, error) { return "No", nil }}
	out, _ = runTask(t, spec, d2)
	if out.Status != state.StatusComplete || out.Result.N != 6 || len(d2.reqs) != 2 {
		t.Errorf("resume: outcome %+v after %d requests, want complete after 2", out, len(d2.reqs))
	}
}

// userTask builds a task block as plan/config decodes one.
func newTestTask(t *testing.T, name, prompt, target, choices string) *config.Task {
	t.Helper()
	expr := func(src string) hcl.Expression {
		if src == "" {
			return nil
		}
		e, diags := hclsyntax.ParseExpression([]byte(src), "eval.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return e
	}
	return &config.Task{Name: name, Dataset: "qa", Prompt: expr(prompt), Target: expr(target), Choices: expr(choices)}
}

func userSpec(dir string, task *config.Task) *plan.RunSpec {
	spec := taskSpec(dir, "task."+task.Name, "testdata/qa.jsonl")
	spec.Task = &schema.Task{Name: "task." + task.Name, Harness: "native", Task: task.Name}
	spec.UserTask = task
	return spec
}

func TestUserTaskMetrics(t *testing.T) {
	rules := []rule{
		{"capital of France", "  the answer: PARIS. "},
		{"daytime sky", "It is blue, mostly."},
		{"legs has a spider", "Eight (8) legs"},
	}
	tests := []struct {
		name      string
		edit      func(*config.Task)
		target    string
		choices   string
		rules     []rule
		want      map[string]sample
		wantScore float64
	}{
		{"exact_match normalized", func(c *config.Task) {
			c.Extract = `answer:\s*(\w+)`
			c.Normalize = []string{"lower", "strip"}
		}, "record.answer", "", rules, map[string]sample{
			"0": {target: "Paris", extracted: ptr("paris"), score: 1},
			"1": {target: "Blue", extracted: nil, score: 0},
			"2": {target: "8", extracted: nil, score: 0},
		}, 1.0 / 3},
		{"contains", func(c *config.Task) {
			c.Metric = "contains"
			c.Normalize = []string{"lower"}
		}, "record.answer", "", rules, map[string]sample{
			"0": {target: "Paris", extracted: ptr("  the answer: paris. "), score: 1},
			"1": {target: "Blue", extracted: ptr("it is blue, mostly."), score: 1},
			"2": {target: "8", extracted: ptr("eight (8) legs"), score: 1},
		}, 1},
		{"regex", func(c *config.Task) { c.Metric = "regex" }, `"(?i)^\\s*the answer"`, "", rules, map[string]sample{
			"0": {target: `(?i)^\s*the answer`, extracted: ptr("  the answer: PARIS. "), score: 1},
			"1": {target: `(?i)^\s*the answer`, extracted: ptr("It is blue, mostly."), score: 0},
			"2": {target: `(?i)^\s*the answer`, extracted: ptr("Eight (8) legs"), score: 0},
		}, 1.0 / 3},
		{"choice", func(c *config.Task) {
			c.Metric = "choice"
			c.Extract = `^(\w+)$`
		}, "record.answer", "record.options", []rule{
			{"capital of France", "Paris"},
			{"daytime sky", "Green"},
			{"legs has a spider", "many"},
		}, map[string]sample{
			"0": {target: "Paris", extracted: ptr("Paris"), score: 1},
			"1": {target: "Blue", extracted: ptr("Green"), score: 0},
			"2": {target: "8", extracted: ptr("many"), score: 0},
		}, 1.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := newTestTask(t, "qa", `"Q: ${record.question}"`, tt.target, tt.choices)
			tt.edit(task)
			out, recs := runTask(t, userSpec(t.TempDir(), task), &scriptDoer{rules: tt.rules})
			metric := taskMetric(task)
			checkSamples(t, metric, recs, tt.want)
			if out.Result.Primary != metric || math.Abs(out.Result.Score-tt.wantScore) > 1e-12 {
				t.Errorf("result %+v, want primary %s score %v", out.Result, metric, tt.wantScore)
			}
		})
	}
}

func TestUserTaskPrompts(t *testing.T) {
	task := newTestTask(t, "qa", `"Q: ${record.question} (${record.n + 1})"`, "record.n", "")
	task.SystemPrompt = "Answer with one word."
	task.FewShot = 2
	task.FewShotDataset = "shots"
	rules := []rule{{"capital of France", "4"}, {"daytime sky", "5"}, {"legs has a spider", "8"}}
	for _, typ := range []string{"chat", "completions"} {
		t.Run(typ, func(t *testing.T) {
			spec := userSpec(t.TempDir(), task)
			spec.Endpoint.Type = typ
			spec.Params.LimitSamples = ptr(1.0)
			spec.Params.Sample = ptr("first")
			spec.FewShot = plan.DatasetFile{Path: "testdata/qa_fewshot.jsonl"}
			d := &scriptDoer{rules: rules}
			out, recs := runTask(t, spec, d)
			if out.Status != state.StatusComplete {
				t.Fatalf("outcome %+v", out)
			}
			msgs := []openai.Message{
				{Role: "system", Content: "Answer with one word."},
				{Role: "user", Content: "Q: What is 2 + 2? (2)"},
				{Role: "assistant", Content: "1"},
				{Role: "user", Content: "Q: What is the opposite of hot? (3)"},
				{Role: "assistant", Content: "2"},
				{Role: "user", Content: "Q: What is the capital of France? (4)"},
			}
			want := &openai.Request{Kind: typ, Model: "qwen-7b", Temperature: ptr(0.0), MaxTokens: DefaultMaxNewTokens, Messages: msgs}
			if typ == "completions" {
				want.Messages = nil
				want.Prompt = "Answer with one word.\n\nQ: What is 2 + 2? (2) 1\n\nQ: What is the opposite of hot? (3) 2\n\nQ: What is the capital of France? (4)"
			}
			if diff := cmp.Diff([]*openai.Request{want}, d.reqs); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			checkSamples(t, "exact_match", recs, map[string]sample{"0": {target: "3", extracted: ptr("4"), score: 0}})
		})
	}
}

func TestUserTaskErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*plan.RunSpec)
		spec    bool // the error is the spec's (Run returns it), not the run's
		wantErr string
	}{
		{"bad metric", func(s *plan.RunSpec) { s.UserTask.Metric = "bleu" }, true, `metric "bleu"`},
		{"bad normalize", func(s *plan.RunSpec) { s.UserTask.Normalize = []string{"upper"} }, true, `normalize step "upper"`},
		{"bad extract", func(s *plan.RunSpec) { s.UserTask.Extract = "(" }, true, "extract"},
		{"choice without choices", func(s *plan.RunSpec) { s.UserTask.Metric = "choice" }, true, "needs choices"},
		{"few-shot not fetched", func(s *plan.RunSpec) {
			s.UserTask.FewShot, s.UserTask.FewShotDataset = 1, "shots"
		}, false, "was not fetched"},
		{"too few shots", func(s *plan.RunSpec) {
			s.UserTask.FewShot, s.UserTask.FewShotDataset = 5, "shots"
			s.FewShot = plan.DatasetFile{Path: "testdata/qa_fewshot.jsonl"}
		}, false, "has 3 records"},
		{"unknown field", func(s *plan.RunSpec) {
			s.UserTask.Target = newTestTask(t, "qa", `"x"`, "record.nope", "").Target
		}, false, "row 0: target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := userSpec(t.TempDir(), newTestTask(t, "qa", `"Q: ${record.question}"`, "record.answer", ""))
			tt.edit(spec)
			d := &scriptDoer{}
			out, err := (&Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return d }}).Run(context.Background(), spec, nil)
			if tt.spec != (err != nil) {
				t.Errorf("error = %v, want one: %v", err, tt.spec)
			}
			if out.Status != state.StatusFailed || !strings.Contains(out.Error, tt.wantErr) {
				t.Errorf("outcome %+v, want failed with %q", out, tt.wantErr)
			}
			if len(d.reqs) != 0 {
				t.Errorf("%d requests sent", len(d.reqs))
			}
		})
	}
}

func TestSampleIDs(t *testing.T) {
	tests := []struct {
		name string
		rec  map[string]any
		t    task
		want string
	}{
		{"row", map[string]any{"question": "q", "answer": "a\n#### 1"}, gsm8k{}, "7"},
		{"file and row", map[string]any{"question": "q", "answer": "a\n#### 1", "_file": "part1"}, gsm8k{}, "part1/7"},
		{"own id", arcRecord("Mercury_1"), arc{}, "Mercury_1"},
		{"own id over file", withFile(arcRecord("Mercury_1")), arc{}, "Mercury_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := tt.t.parse(tt.rec, 7)
			if err != nil {
				t.Fatal(err)
			}
			if it.id != tt.want {
				t.Errorf("id = %q, want %q", it.id, tt.want)
			}
		})
	}
}

func arcRecord(id string) map[string]any {
	return map[string]any{
		"id": id,
		"question": map[string]any{"stem": "s", "choices": []any{
			map[string]any{"text": "x", "label": "A"}, map[string]any{"text": "y", "label": "B"},
		}},
		"answerKey": "B",
	}
}

func withFile(rec map[string]any) map[string]any { rec["_file"] = "f"; return rec }

func TestDuplicateIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "arc.jsonl")
	line := `{"id":"same","question":{"stem":"s","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"A"}` + "\n"
	if err := os.WriteFile(path, []byte(line+line), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := (&Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return &scriptDoer{} }}).Run(context.Background(), taskSpec(t.TempDir(), "native.arc_challenge", path), nil)
	if err != nil || out.Status != state.StatusFailed || !strings.Contains(out.Error, `same sample id "same"`) {
		t.Errorf("outcome %+v, %v; want failed for the duplicate id", out, err)
	}
}

// TestGSM8KMissingAnswerFailsRun: a GSM8K record without its "####" answer fails the run
// before any request, naming the dataset file and the record, never a sample scored 0.
func TestGSM8KMissingAnswerFailsRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gsm8k.jsonl")
	data := `{"question": "1+1?", "answer": "1+1=2\n#### 2"}
{"question": "2+2?", "answer": "2+2=4"}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &scriptDoer{}
	out, err := (&Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return d }}).Run(context.Background(), taskSpec(t.TempDir(), "native.gsm8k", path), nil)
	want := "dataset " + path + ` row 1: field "answer" has no final answer line "#### <number>"`
	if err != nil || out.Status != state.StatusFailed || out.Result != nil || !strings.Contains(out.Error, want) {
		t.Errorf("outcome %+v, %v; want failed with %q", out, err, want)
	}
	if len(d.reqs) != 0 {
		t.Errorf("%d requests sent, want none", len(d.reqs))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		t       task
		rec     map[string]any
		wantErr string
	}{
		{"mmlu answer out of range", mmlu{}, map[string]any{"question": "q", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "E"}, `"answer" = "E"`},
		{"mmlu no choices", mmlu{}, map[string]any{"question": "q", "answer": "A"}, "choices"},
		{"arc unknown key", arc{}, func() map[string]any { r := arcRecord("x"); r["answerKey"] = "3"; return r }(), `answerKey "3"`},
		{"math no problem", math500{}, map[string]any{"answer": "1"}, `"problem"`},
		{"gsm8k answer without ####", gsm8k{}, map[string]any{"question": "q", "answer": "She has 18 eggs."}, `no final answer line "#### <number>"`},
		{"gsm8k #### with nothing after", gsm8k{}, map[string]any{"question": "q", "answer": "18 eggs\n####  "}, `fix the record or remove it`},
		{"gsm8k #### without space", gsm8k{}, map[string]any{"question": "q", "answer": "18 eggs\n####18"}, `got "18 eggs\n####18"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.t.parse(tt.rec, 0)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
