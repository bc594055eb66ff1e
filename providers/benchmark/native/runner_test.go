package native

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/schema"
)

// fixture is 20 rows of the GSM8K test split (MIT licence: testdata/gsm8k_LICENSE.txt).
const fixture = "testdata/gsm8k_test_20.jsonl"

// row is one fixture record as the tests see it.
type row struct {
	id       string
	question string
	answer   string
	gold     string // the number after "#### "
}

func loadFixture(t testing.TB, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct{ Question, Answer string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		_, gold, _ := strings.Cut(rec.Answer, "#### ")
		rows = append(rows, row{id: strconv.Itoa(len(rows)), question: rec.Question, answer: rec.Answer, gold: gold})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// fakeDoer answers each request by the row its question belongs to. It records the ids
// asked for. It is safe for concurrent use.
type fakeDoer struct {
	byQuestion map[string]row
	answer     func(ctx context.Context, r row) (*openai.Response, error)

	mu    sync.Mutex
	asked []string
	reqs  []*openai.Request
}

func newFakeDoer(rows []row, answer func(ctx context.Context, r row) (*openai.Response, error)) *fakeDoer {
	d := &fakeDoer{byQuestion: map[string]row{}, answer: answer}
	for _, r := range rows {
		d.byQuestion[r.question] = r
	}
	return d
}

func (d *fakeDoer) Do(ctx context.Context, req *openai.Request) (*openai.Response, error) {
	text := req.Prompt
	if req.Kind == openai.KindChat {
		text = req.Messages[0].Content
	}
	r, ok := d.byQuestion[strings.TrimPrefix(text, gsm8kPrompt)]
	if !ok {
		return nil, fmt.Errorf("fake: unknown prompt %q", text)
	}
	d.mu.Lock()
	d.asked = append(d.asked, r.id)
	d.reqs = append(d.reqs, req)
	d.mu.Unlock()
	return d.answer(ctx, r)
}

// askedSorted returns the ids asked for, sorted numerically.
func (d *fakeDoer) askedSorted() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := slices.Clone(d.asked)
	slices.SortFunc(out, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return out
}

// mode is how the scripted model words its answer for a row.
func mode(r row) int { n, _ := strconv.Atoi(r.id); return n % 4 }

// scripted is the fake model's answer: four wordings that exercise both extractions.
func scripted(_ context.Context, r row) (*openai.Response, error) {
	var text string
	switch mode(r) {
	case 0:
		text = "Step by step.\n#### " + r.gold
	case 1:
		text = "The answer is $" + r.gold + "."
	case 2:
		text = r.gold + " is tempting, but the answer is 99999"
	case 3:
		text = "#### " + r.gold + "\nCheck: 0"
	}
	return &openai.Response{Text: text, Usage: openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}, Attempts: 1}, nil
}

// expectations of scripted per mode: extracted strict, flexible and their scores.
func scriptedWant(r row) (strict, flexible string, s, f float64) {
	switch mode(r) {
	case 0:
		return r.gold, r.gold, 1, 1
	case 1:
		return "[invalid]", "$" + r.gold + ".", 0, 1
	case 2:
		return "[invalid]", "99999", 0, 0
	default:
		return r.gold, "0", 1, 0
	}
}

func fixedClock() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

func newSpec(dir string, p config.Params) *plan.RunSpec {
	return &plan.RunSpec{
		Address:   `suite.quick.run["native.gsm8k"]["qwen"]`,
		Suite:     "quick",
		Benchmark: "native.gsm8k",
		Task:      &schema.Task{Name: "native.gsm8k", Harness: "native", Task: "gsm8k"},
		Endpoint:  &config.Endpoint{Name: "qwen", Model: "qwen-7b", Type: "chat", URL: "http://127.0.0.1:1/v1", APIKey: "sekret-key"},
		Dataset:   plan.DatasetFile{Path: fixture},
		Params:    p,
		Identity:  "0123456789abcdef",
		RunDir:    dir,
	}
}

func ptr[T any](v T) *T { return &v }

func readRecords(t *testing.T, dir string) []*rundir.Record {
	t.Helper()
	var out []*rundir.Record
	if err := rundir.ReadJournal(filepath.Join(dir, rundir.JournalFile), func(r *rundir.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countingProgress sums what a runner reports.
type countingProgress struct {
	mu                 sync.Mutex
	total, n, errs, tk int64
}

func (p *countingProgress) Total(_ string, n int64) { p.mu.Lock(); p.total = n; p.mu.Unlock() }
func (p *countingProgress) Add(_ string, n, errs, tokens int64) {
	p.mu.Lock()
	p.n, p.errs, p.tk = p.n+n, p.errs+errs, p.tk+tokens
	p.mu.Unlock()
}
func (p *countingProgress) Log(string, string) {}

func TestRunScoresEverySample(t *testing.T) {
	rows := loadFixture(t, fixture)
	doer := newFakeDoer(rows, scripted)
	dir := t.TempDir()
	prog := &countingProgress{}
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
	out, err := r.Run(context.Background(), newSpec(dir, config.Params{Parallelism: ptr(3)}), prog)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != state.StatusComplete || out.Error != "" {
		t.Fatalf("outcome = %+v", out)
	}

	recs := readRecords(t, dir)
	if len(recs) != len(rows) {
		t.Fatalf("journal has %d lines, want %d", len(recs), len(rows))
	}
	var strictSum, flexSum float64
	for _, rec := range recs {
		n, _ := strconv.Atoi(rec.ID)
		rw := rows[n]
		strict, flexible, s, f := scriptedWant(rw)
		strictSum += s
		flexSum += f
		resp, _ := scripted(context.Background(), rw)
		want := &rundir.Record{
			ID:        rw.id,
			Prompt:    []any{map[string]any{"role": "user", "content": gsm8kPrompt + rw.question}},
			Response:  &resp.Text,
			Target:    rw.answer,
			Extracted: map[string]*string{"strict_match": &strict, "flexible_extract": &flexible},
			Score:     map[string]float64{"strict_match": s, "flexible_extract": f},
			Usage:     rundir.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
			Attempts:  1,
		}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("sample %s (-want +got):\n%s", rec.ID, diff)
		}
	}

	res := out.Result
	n := float64(len(rows))
	if res.N != len(rows) || res.Errors != 0 || res.Primary != "flexible_extract" || res.Score != flexSum/n {
		t.Errorf("result = %+v, want n=%d errors=0 primary=flexible_extract score=%v", res, len(rows), flexSum/n)
	}
	for name, sum := range map[string]float64{"strict_match": strictSum, "flexible_extract": flexSum} {
		checkMetric(t, name, res.Metrics[name], sum/n, len(rows))
	}

	var onDisk result.Result
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, rundir.ResultsFile)), &onDisk); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, &onDisk); diff != "" {
		t.Errorf("results.json differs from the outcome (-outcome +file):\n%s", diff)
	}
	if got, want := [4]int64{prog.total, prog.n, prog.errs, prog.tk}, [4]int64{20, 20, 0, 100}; got != want {
		t.Errorf("progress total, done, errors, tokens = %v, want %v", got, want)
	}
}

// checkMetric checks a 0/1 metric's value, n and stderr = sqrt(p(1−p)/(n−1)).
func checkMetric(t *testing.T, name string, m result.Metric, p float64, n int) {
	t.Helper()
	se := math.Sqrt(p * (1 - p) / float64(n-1))
	if m.N != n || math.Abs(m.Value-p) > 1e-12 || m.Stderr == nil || math.Abs(*m.Stderr-se) > 1e-12 {
		t.Errorf("%s = %+v, want value %v, n %d, stderr %v", name, m, p, n, se)
		return
	}
	// Scores are 0/1, so the interval is the Wilson score interval of a proportion.
	if want := result.Wilson(p, n); m.CI95 == nil || *m.CI95 != want || m.Interval != result.IntervalWilson {
		t.Errorf("%s ci95 = %v (%q), want the Wilson interval %v", name, m.CI95, m.Interval, want)
	}
}

func TestRunConfig(t *testing.T) {
	rows := loadFixture(t, fixture)
	dir := t.TempDir()
	spec := newSpec(dir, config.Params{LimitSamples: ptr(5.0), Seed: ptr(7)})
	spec.Endpoint.Headers = map[string]string{"X-Secret": "header-secret"}
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return newFakeDoer(rows, scripted) }, Now: fixedClock}
	if _, err := r.Run(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, filepath.Join(dir, rundir.RunConfigFile))
	for _, secret := range []string{"sekret-key", "header-secret", "X-Secret"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("run_config.json contains %q:\n%s", secret, data)
		}
	}
	var got runConfig
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := runConfig{
		Address:   spec.Address,
		Suite:     "quick",
		Benchmark: "native.gsm8k",
		Scorer:    "gsm8k/1",
		Identity:  "0123456789abcdef",
		Endpoint:  runEndpoint{Name: "qwen", Model: "qwen-7b", Type: "chat", URL: "http://127.0.0.1:1/v1"},
		Params:    config.Params{LimitSamples: ptr(5.0), Seed: ptr(7)},
		Dataset:   runDataset{SHA256: fixtureSHA256(t), Rows: 20},
		Selection: runSelection{Sample: "random", Seed: 7, LimitSamples: ptr(5.0), N: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run_config.json (-want +got):\n%s", diff)
	}
}

func fixtureSHA256(t *testing.T) string {
	t.Helper()
	sel, err := selectRows(context.Background(), source{file: plan.DatasetFile{Path: fixture}}, gsm8k{}, &settings{sample: sampleFirst})
	if err != nil {
		t.Fatal(err)
	}
	return sel.sha256
}

func TestRequests(t *testing.T) {
	rows := loadFixture(t, fixture)
	tests := []struct {
		name   string
		typ    string
		params config.Params
		want   openai.Request
	}{
		{"chat defaults", "chat", config.Params{}, openai.Request{
			Kind: "chat", Model: "qwen-7b", Temperature: ptr(0.0), MaxTokens: 1024,
			Messages: []openai.Message{{Role: "user", Content: gsm8kPrompt + rows[0].question}},
		}},
		{"completions with params", "completions", config.Params{
			Temperature: ptr(0.7), TopP: ptr(0.9), MaxNewTokens: ptr(256), Seed: ptr(3),
		}, openai.Request{
			Kind: "completions", Model: "qwen-7b", Temperature: ptr(0.7), TopP: ptr(0.9), MaxTokens: 256, Seed: ptr(3),
			Prompt: gsm8kPrompt + rows[0].question,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.params.LimitSamples = ptr(1.0)
			tt.params.Sample = ptr("first")
			spec := newSpec(dir, tt.params)
			spec.Endpoint.Type = tt.typ
			doer := newFakeDoer(rows, scripted)
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
			if _, err := r.Run(context.Background(), spec, nil); err != nil {
				t.Fatal(err)
			}
			if len(doer.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(doer.reqs))
			}
			if diff := cmp.Diff(&tt.want, doer.reqs[0]); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			recs := readRecords(t, dir)
			wantPrompt := any([]any{map[string]any{"role": "user", "content": gsm8kPrompt + rows[0].question}})
			if tt.typ == "completions" {
				wantPrompt = gsm8kPrompt + rows[0].question
			}
			if diff := cmp.Diff(wantPrompt, recs[0].Prompt); diff != "" {
				t.Errorf("journal prompt (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name   string
		limit  *float64
		sample string
		seed   int
		want   []int
	}{
		{"all", nil, sampleRandom, 0, seq(0, 20)},
		{"first 5", ptr(5.0), sampleFirst, 0, seq(0, 5)},
		{"more than there are", ptr(100.0), sampleRandom, 0, seq(0, 20)},
		{"first fraction", ptr(0.25), sampleFirst, 0, seq(0, 5)},
		{"tiny fraction is at least one", ptr(0.01), sampleFirst, 0, []int{0}},
		// Pinned (checked with Python's hashlib): the selection must never change with the
		// Go version.
		{"random seed 0", ptr(5.0), sampleRandom, 0, []int{1, 4, 8, 14, 18}},
		{"random seed 1", ptr(5.0), sampleRandom, 1, []int{2, 4, 8, 10, 18}},
		{"random fraction seed 0", ptr(0.25), sampleRandom, 0, []int{1, 4, 8, 14, 18}},
		{"random 1 of 20", ptr(1.0), sampleRandom, 0, []int{14}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := selectRows(context.Background(), source{file: plan.DatasetFile{Path: fixture}}, gsm8k{}, &settings{limit: tt.limit, sample: tt.sample, seed: tt.seed})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sel.rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			var wantIDs []string
			for _, r := range tt.want {
				wantIDs = append(wantIDs, strconv.Itoa(r))
			}
			if diff := cmp.Diff(wantIDs, sel.ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if sel.total != 20 {
				t.Errorf("total = %d, want 20", sel.total)
			}
		})
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// TestRandomSelectionRuns checks that the runner requests exactly the selected samples,
// that the same seed selects the same set, and that another seed selects another.
func TestRandomSelectionRuns(t *testing.T) {
	rows := loadFixture(t, fixture)
	asked := func(seed int) []string {
		doer := newFakeDoer(rows, scripted)
		r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
		out, err := r.Run(context.Background(), newSpec(t.TempDir(), config.Params{LimitSamples: ptr(6.0), Seed: ptr(seed)}), nil)
		if err != nil || out.Status != state.StatusComplete || out.Result.N != 6 {
			t.Fatalf("seed %d: outcome %+v, %v", seed, out, err)
		}
		return doer.askedSorted()
	}
	a, b, c := asked(0), asked(0), asked(42)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different samples (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Errorf("seeds 0 and 42 selected the same samples %v", a)
	}
}

func TestResumeMatchesFreshRun(t *testing.T) {
	rows := loadFixture(t, fixture)
	params := config.Params{Parallelism: ptr(4)}
	fresh := t.TempDir()
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return newFakeDoer(rows, scripted) }, Now: fixedClock}
	if _, err := r.Run(context.Background(), newSpec(fresh, params), nil); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, rec := range readRecords(t, fresh) {
		b, _ := json.Marshal(rec)
		lines[rec.ID] = string(b)
	}
	errLine := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"prompt":"x","response":null,"target":"","extracted":{},"score":{},"error":"HTTP 503","latency_ms":1,"usage":{},"attempts":4}`, id)
	}
	// Answered 0–9 (3 failed first, then succeeded); 10 and 11 failed last; 12–19 missing;
	// a crash cut the last line short.
	var seeded []string
	for i := range 10 {
		if i == 3 {
			seeded = append(seeded, errLine("3"))
		}
		seeded = append(seeded, lines[strconv.Itoa(i)])
	}
	seeded = append(seeded, lines["10"], errLine("10"), errLine("11"), `{"id":"12","prompt":[{"ro`)
	resumed := t.TempDir()
	if err := os.WriteFile(filepath.Join(resumed, rundir.JournalFile), []byte(strings.Join(seeded, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	doer := newFakeDoer(rows, scripted)
	prog := &countingProgress{}
	r2 := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
	spec := newSpec(resumed, params)
	spec.Resume = true
	out, err := r2.Run(context.Background(), spec, prog)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	wantAsked := []string{"10", "11", "12", "13", "14", "15", "16", "17", "18", "19"}
	if diff := cmp.Diff(wantAsked, doer.askedSorted()); diff != "" {
		t.Errorf("requested ids (-want +got):\n%s", diff)
	}
	if prog.total != 20 || prog.n != 20 {
		t.Errorf("progress total %d done %d, want 20 and 20", prog.total, prog.n)
	}
	for _, name := range []string{rundir.ResultsFile, rundir.RunConfigFile} {
		if diff := cmp.Diff(string(readFile(t, filepath.Join(fresh, name))), string(readFile(t, filepath.Join(resumed, name)))); diff != "" {
			t.Errorf("%s differs between fresh and resumed run (-fresh +resumed):\n%s", name, diff)
		}
	}
	// Every appended line parses: the cut line was terminated before appending.
	data := string(readFile(t, filepath.Join(resumed, rundir.JournalFile)))
	if got := len(readRecords(t, resumed)); got != len(seeded)-1+len(wantAsked) {
		t.Errorf("journal has %d parsable lines, want %d:\n%s", got, len(seeded)-1+len(wantAsked), data)
	}
}

func TestPartialOutcome(t *testing.T) {
	rows := loadFixture(t, fixture)
	doer := newFakeDoer(rows, func(ctx context.Context, r row) (*openai.Response, error) {
		if r.id == "3" || r.id == "7" {
			return nil, &openai.RetryError{Attempts: 4, Err: &openai.StatusError{Code: 503}}
		}
		return scripted(ctx, r)
	})
	dir := t.TempDir()
	prog := &countingProgress{}
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
	out, err := r.Run(context.Background(), newSpec(dir, config.Params{Parallelism: ptr(2)}), prog)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != state.StatusPartial || out.Result == nil || out.Result.N != 18 || out.Result.Errors != 2 {
		t.Fatalf("outcome = %+v", out)
	}
	if !strings.Contains(out.Error, "2 of 20 samples failed") || !strings.Contains(out.Error, "sample 3") || !strings.Contains(out.Error, "503") {
		t.Errorf("outcome error %q does not say how many failed and why", out.Error)
	}
	if prog.errs != 2 || prog.n != 20 {
		t.Errorf("progress errs %d done %d, want 2 and 20", prog.errs, prog.n)
	}
	for _, rec := range readRecords(t, dir) {
		if rec.ID != "3" && rec.ID != "7" {
			continue
		}
		msg := "after 4 attempts: server returned HTTP 503 Service Unavailable"
		want := &rundir.Record{ID: rec.ID, Prompt: rec.Prompt, Target: rows[mustAtoi(rec.ID)].answer,
			Extracted: map[string]*string{}, Score: map[string]float64{}, Error: &msg, Attempts: 4}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("error record (-want +got):\n%s", diff)
		}
	}
	raw := string(readFile(t, filepath.Join(dir, rundir.JournalFile)))
	if !strings.Contains(raw, `"id":"3","prompt"`) || !strings.Contains(raw, `"response":null`) || !strings.Contains(raw, `"score":{}`) {
		t.Errorf("error lines are not written as null response and empty score:\n%s", raw)
	}
}

func mustAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestFailedOutcome(t *testing.T) {
	rows := loadFixture(t, fixture)
	malformed := filepath.Join(t.TempDir(), "malformed.jsonl")
	if err := os.WriteFile(malformed, []byte(`{"question":"a","answer":"#### 1"}`+"\n"+`{"question":`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		doer    func(context.Context, row) (*openai.Response, error)
		wantErr string
		maxAsk  int
	}{
		{"unauthorized", fixture, func(context.Context, row) (*openai.Response, error) {
			return nil, &openai.StatusError{Code: 401, Body: "invalid api key"}
		}, "HTTP 401", 10},
		{"missing dataset", "testdata/nope.jsonl", scripted, "nope.jsonl", 0},
		{"malformed dataset", malformed, scripted, "malformed.jsonl:2", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			spec := newSpec(dir, config.Params{Parallelism: ptr(2)})
			spec.Dataset.Path = tt.path
			doer := newFakeDoer(rows, tt.doer)
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
			out, err := r.Run(context.Background(), spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != state.StatusFailed || out.Result != nil || !strings.Contains(out.Error, tt.wantErr) {
				t.Errorf("outcome = %+v, want failed with %q", out, tt.wantErr)
			}
			if n := len(doer.askedSorted()); n > tt.maxAsk {
				t.Errorf("%d requests sent, want at most %d", n, tt.maxAsk)
			}
			if _, err := os.Stat(filepath.Join(dir, rundir.ResultsFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("results.json written for a failed run (stat: %v)", err)
			}
		})
	}
}

func TestSpecErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*plan.RunSpec)
		wantErr string
	}{
		{"unsupported task", func(s *plan.RunSpec) { s.Task.Name = "native.humaneval" }, "not supported"},
		{"bad limit", func(s *plan.RunSpec) { s.Params.LimitSamples = ptr(2.5) }, "limit_samples"},
		{"bad sample", func(s *plan.RunSpec) { s.Params.Sample = ptr("middle") }, "sample"},
		{"bad endpoint type", func(s *plan.RunSpec) { s.Endpoint.Type = "embeddings" }, "endpoint type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := newSpec(t.TempDir(), config.Params{})
			tt.edit(spec)
			out, err := (&Runner{}).Run(context.Background(), spec, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if out == nil || out.Status != state.StatusFailed || out.Error != err.Error() {
				t.Errorf("outcome = %+v, want failed with the error", out)
			}
		})
	}
}

// TestNoSampleScoredIsNoResult: a run in which no sample was scored has no result — never a
// score of 0 — and writes no results.json, whether every request failed or the run was
// cancelled before any answer.
func TestNoSampleScoredIsNoResult(t *testing.T) {
	rows := loadFixture(t, fixture)
	type outcome struct {
		Status  state.Status
		Result  *result.Result
		Error   string
		Results bool // results.json written
	}
	tests := []struct {
		name    string
		cancel  bool
		want    outcome
		wantErr error
	}{
		{"every request failed", false, outcome{Status: state.StatusFailed, Error: "every request failed"}, nil},
		{"cancelled before any answer", true, outcome{Status: state.StatusPartial, Error: "cancelled with 0 of 20 samples answered: no result"}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			doer := newFakeDoer(rows, func(c context.Context, r row) (*openai.Response, error) {
				if tt.cancel {
					cancel()
					return nil, c.Err()
				}
				return nil, fmt.Errorf("post: %w", openai.ErrNoAnswer)
			})
			dir := t.TempDir()
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
			out, err := r.Run(ctx, newSpec(dir, config.Params{Parallelism: ptr(1), MaxRetries: ptr(0)}), nil)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			_, statErr := os.Stat(filepath.Join(dir, rundir.ResultsFile))
			got := outcome{Status: out.Status, Result: out.Result, Error: out.Error, Results: statErr == nil}
			if strings.HasPrefix(got.Error, tt.want.Error) {
				got.Error = tt.want.Error
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCancel cancels the run from inside the sixth request: no sample that failed because
// of the cancellation may reach the journal, and a later run completes the rest.
func TestCancel(t *testing.T) {
	rows := loadFixture(t, fixture)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	calls, answered := 0, 0
	doer := newFakeDoer(rows, func(c context.Context, r row) (*openai.Response, error) {
		mu.Lock()
		calls++
		if calls == 6 {
			cancel()
		}
		if c.Err() != nil {
			mu.Unlock()
			return nil, fmt.Errorf("post: %w", c.Err())
		}
		answered++
		mu.Unlock()
		return scripted(c, r)
	})
	dir := t.TempDir()
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }, Now: fixedClock}
	out, err := r.Run(ctx, newSpec(dir, config.Params{Parallelism: ptr(3)}), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if out.Status != state.StatusPartial {
		t.Errorf("status = %q, want partial", out.Status)
	}
	recs := readRecords(t, dir)
	if len(recs) != answered || out.Result.N != answered || out.Result.Errors != 0 {
		t.Errorf("journal %d lines, result %+v; want %d answered, no errors", len(recs), out.Result, answered)
	}
	for _, rec := range recs {
		if rec.Error != nil {
			t.Errorf("sample %s journaled with error %q", rec.ID, *rec.Error)
		}
	}

	// Resuming finishes the run with the same results as an uninterrupted one.
	fresh := t.TempDir()
	r2 := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return newFakeDoer(rows, scripted) }, Now: fixedClock}
	if _, err := r2.Run(context.Background(), newSpec(fresh, config.Params{}), nil); err != nil {
		t.Fatal(err)
	}
	out, err = r2.Run(context.Background(), newSpec(dir, config.Params{Parallelism: ptr(3)}), nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("resume: %+v, %v", out, err)
	}
	if diff := cmp.Diff(string(readFile(t, filepath.Join(fresh, rundir.ResultsFile))), string(readFile(t, filepath.Join(dir, rundir.ResultsFile)))); diff != "" {
		t.Errorf("results.json after resume differs (-fresh +resumed):\n%s", diff)
	}
}

// BenchmarkRunnerZeroLatency measures the runner's own overhead: 5,000 samples answered
// instantly.
func BenchmarkRunnerZeroLatency(b *testing.B) {
	rows := loadFixture(b, fixture)
	const n = 5000
	path := filepath.Join(b.TempDir(), "gsm8k_5000.jsonl")
	var sb strings.Builder
	big := make([]row, 0, n)
	for i := range n {
		r := rows[i%len(rows)]
		r.question = fmt.Sprintf("%s (variant %d)", r.question, i)
		r.id = strconv.Itoa(i)
		big = append(big, r)
		line, _ := json.Marshal(map[string]string{"question": r.question, "answer": r.answer})
		sb.Write(line)
		sb.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	doer := newFakeDoer(big, scripted)
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return doer }}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		spec := newSpec(b.TempDir(), config.Params{})
		spec.Dataset.Path = path
		doer.mu.Lock()
		doer.asked, doer.reqs = nil, nil
		doer.mu.Unlock()
		b.StartTimer()
		out, err := r.Run(context.Background(), spec, nil)
		if err != nil || out.Result.N != n {
			b.Fatalf("outcome %+v, %v", out, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

func TestRecordedURL(t *testing.T) {
	tests := []struct {
		name string
		ep   config.Endpoint
		want string
	}{
		{"plain", config.Endpoint{URL: "http://127.0.0.1:8000/v1"}, "http://127.0.0.1:8000/v1"},
		{"password", config.Endpoint{URL: "http://u:pass@host/v1"}, "http://host/v1"},
		{"user name only", config.Endpoint{URL: "https://tok3n@host/v1"}, "https://host/v1"},
		{"query and fragment", config.Endpoint{URL: "https://host/v1?key=abc#frag"}, "https://host/v1"},
		{"sensitive", config.Endpoint{URL: "https://host/v1", URLSensitive: true}, ""},
		{"unparsable", config.Endpoint{URL: "http://h\x7f/v1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, recordedURL(&tt.ep)); diff != "" {
				t.Errorf("recordedURL(%q) (-want +got):\n%s", tt.ep.URL, diff)
			}
		})
	}
}

// TestRunConfigURLCredentials checks that run_config.json never holds the credentials of a
// URL, nor a URL the configuration marked sensitive.
func TestRunConfigURLCredentials(t *testing.T) {
	rows := loadFixture(t, fixture)
	tests := []struct {
		name      string
		url       string
		sensitive bool
		want      string
	}{
		{"credentials", "http://u:pass@127.0.0.1:1/v1?token=qsecret", false, "http://127.0.0.1:1/v1"},
		{"sensitive", "http://127.0.0.1:1/v1", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			spec := newSpec(dir, config.Params{LimitSamples: ptr(2.0)})
			spec.Endpoint.URL, spec.Endpoint.URLSensitive = tt.url, tt.sensitive
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return newFakeDoer(rows, scripted) }, Now: fixedClock}
			if _, err := r.Run(context.Background(), spec, nil); err != nil {
				t.Fatal(err)
			}
			data := readFile(t, filepath.Join(dir, rundir.RunConfigFile))
			for _, secret := range []string{"pass", "qsecret"} {
				if strings.Contains(string(data), secret) {
					t.Errorf("run_config.json contains %q:\n%s", secret, data)
				}
			}
			var got runConfig
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Endpoint.URL); diff != "" {
				t.Errorf("endpoint url (-want +got):\n%s", diff)
			}
			if tt.sensitive && strings.Contains(string(data), `"url"`) {
				t.Errorf("run_config.json records a sensitive url:\n%s", data)
			}
		})
	}
}
