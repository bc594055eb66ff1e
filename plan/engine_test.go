package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// fakeEndpoints answers probes from the configuration, counting them.
type fakeEndpoints struct {
	mu     sync.Mutex
	probes int
	maxLen int
}

func (f *fakeEndpoints) Probe(_ context.Context, ep *config.Endpoint) (plan.Fingerprint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probes++
	return plan.Fingerprint{Model: ep.Model, Type: ep.Type, Revision: ep.Revision, Capabilities: ep.Capabilities, MaxModelLen: f.maxLen}, nil
}

// fakeDatasets treats every source as fetched before, hashing to a value derived from it.
type fakeDatasets struct{}

func (f fakeDatasets) Cached(ds *config.Dataset, dir string) (plan.DatasetFile, bool) {
	file, _ := f.Fetch(context.Background(), ds, dir, nil)
	return file, true
}

func (fakeDatasets) Fetch(_ context.Context, ds *config.Dataset, _ string, _ plan.Progress) (plan.DatasetFile, error) {
	sha := ds.SHA256
	if sha == "" {
		sha = fmt.Sprintf("%064x", len(ds.Source))
	}
	return plan.DatasetFile{Path: ds.Source, SHA256: sha}, nil
}

// fakeRunner completes every run with a fixed score and writes results.json, or fails
// runs whose benchmark is in fail.
type fakeRunner struct {
	plantest.Planner
	mu   sync.Mutex
	runs []string
	fail map[string]bool
	// unscored names benchmarks whose runs complete with a result of no scored sample.
	unscored map[string]bool
}

func (f *fakeRunner) Run(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (*plan.Outcome, error) {
	f.mu.Lock()
	f.runs = append(f.runs, spec.Address)
	f.mu.Unlock()
	if f.fail[spec.Benchmark] {
		return &plan.Outcome{Status: state.StatusFailed, Error: "scripted failure"}, nil
	}
	if f.unscored[spec.Benchmark] {
		return &plan.Outcome{Status: state.StatusComplete, Result: &result.Result{Primary: "accuracy", Errors: 3}}, nil
	}
	var m result.Mean
	for _, x := range []float64{1, 0, 1, 1} {
		m.Add(x)
	}
	res := &result.Result{Score: m.Metric().Value, Primary: "accuracy", N: 4, Metrics: map[string]result.Metric{"accuracy": m.Metric()}}
	if err := os.WriteFile(filepath.Join(spec.RunDir, "results.json"), []byte("{}"), 0o644); err != nil {
		return nil, err
	}
	return &plan.Outcome{Status: state.StatusComplete, Result: res}, nil
}

type env struct {
	t      *testing.T
	dir    string
	engine *plan.Engine
	runner *fakeRunner
	eps    *fakeEndpoints
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: t.TempDir(), runner: &fakeRunner{fail: map[string]bool{}}, eps: &fakeEndpoints{}}
	e.engine = &plan.Engine{Catalog: cat, Endpoints: e.eps, Datasets: fakeDatasets{}, Runners: map[string]plan.Runner{"native": e.runner}, Version: "test"}
	return e
}

func (e *env) write(src string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "eval.hcl"), []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) load() *config.Config {
	e.t.Helper()
	return plantest.Load(e.t, e.dir, nil, nil)
}

func (e *env) state() *state.File {
	f, err := state.Load(filepath.Join(e.dir, "evalplan.state.json"))
	if err != nil {
		return state.New("test")
	}
	return f
}

func (e *env) plan(opts plan.Options) *plan.Plan {
	e.t.Helper()
	p, diags := e.engine.Plan(context.Background(), e.load(), e.state(), opts)
	if diags.HasErrors() {
		e.t.Fatalf("plan: %v", diags)
	}
	return p
}

func (e *env) apply(p *plan.Plan) *plan.ApplyResult {
	e.t.Helper()
	cfg := e.load()
	store := state.NewStore(cfg.Settings.State, e.state())
	res, diags := e.engine.Apply(context.Background(), cfg, p, store, plan.ApplyOptions{})
	if diags.HasErrors() {
		e.t.Fatalf("apply: %v", diags)
	}
	return res
}

const twoEndpoints = `
endpoint "a" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-a"
}
endpoint "b" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-b"
}
dataset "d" {
  source = "data.jsonl"
  sha256 = "%064d"
}
suite "s" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = ["native.gsm8k", "native.math500"]
  params {
    temperature   = %s
    parallelism   = %d
    limit_samples = 10
  }
  benchmark "native.gsm8k" {
    dataset = dataset.d
  }
}
check "floor" {
  condition     = suite.s.result["native.gsm8k"]["a"].score >= 0.9
  error_message = "too low"
}
output "scores" {
  value = suite.s.scores
}
`

func actions(p *plan.Plan) map[string]plan.ActionType {
	out := map[string]plan.ActionType{}
	for _, a := range p.Actions {
		out[a.Address] = a.Action
	}
	return out
}

// TestUnscoredResultIsNoResult: a runner that reports a result with no scored sample (n = 0)
// leaves no result in state — the run failed with "no result" — never a score of 0.
func TestUnscoredResultIsNoResult(t *testing.T) {
	e := newEnv(t)
	e.runner.unscored = map[string]bool{"native.math500": true}
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	e.apply(e.plan(plan.Options{Refresh: true}))
	type run struct {
		Status state.Status
		Error  string
		Scored bool
	}
	got := map[string]run{}
	for addr, r := range e.state().Resources {
		if r.Type == "run" {
			got[addr] = run{Status: r.Status, Error: r.Error, Scored: r.Result != nil}
		}
	}
	noResult := run{Status: state.StatusFailed, Error: "no sample was scored: no result"}
	want := map[string]run{
		`suite.s.run["native.gsm8k"]["a"]`:   {Status: state.StatusComplete, Scored: true},
		`suite.s.run["native.gsm8k"]["b"]`:   {Status: state.StatusComplete, Scored: true},
		`suite.s.run["native.math500"]["a"]`: noResult,
		`suite.s.run["native.math500"]["b"]`: noResult,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs in state (-want +got):\n%s", diff)
	}
}

func TestPlanApplyReplan(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	p := e.plan(plan.Options{Refresh: true})
	want := map[string]plan.ActionType{
		`suite.s.run["native.gsm8k"]["a"]`:   plan.ActionRun,
		`suite.s.run["native.gsm8k"]["b"]`:   plan.ActionRun,
		`suite.s.run["native.math500"]["a"]`: plan.ActionRun,
		`suite.s.run["native.math500"]["b"]`: plan.ActionRun,
	}
	if diff := cmp.Diff(want, actions(p)); diff != "" {
		t.Fatalf("first plan (-want +got):\n%s", diff)
	}
	if p.Checks[0].Status != plan.CheckDeferred {
		t.Errorf("check at first plan: %+v, want deferred", p.Checks[0])
	}
	res := e.apply(p)
	if len(res.Errors) != 0 {
		t.Fatalf("apply errors: %v", res.Errors)
	}
	if got := res.Checks[0]; got.Status != plan.CheckFail || got.Message != `too low (suite.s.result["native.gsm8k"]["a"].score = 0.75)` {
		t.Errorf("check after apply: %+v", got)
	}

	// Re-plan: nothing to do; parallelism is operational.
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 64))
	p = e.plan(plan.Options{Refresh: true})
	if p.Summary.Changes() {
		t.Fatalf("plan after apply and a parallelism change has changes: %+v", p.Actions)
	}

	// Temperature is identity: every run re-runs, showing the change.
	e.write(fmt.Sprintf(twoEndpoints, 1, "0.7", 64))
	p = e.plan(plan.Options{Refresh: true})
	if p.Summary.Rerun != 4 {
		t.Fatalf("re-runs = %d, want 4", p.Summary.Rerun)
	}
	wantChange := []plan.Change{{Path: "params.temperature", Old: 0.0, New: 0.7}}
	if diff := cmp.Diff(wantChange, p.Actions[0].Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}

	// The dataset checksum re-runs only the runs that use that dataset.
	e.write(fmt.Sprintf(twoEndpoints, 2, "0", 8))
	p = e.plan(plan.Options{Refresh: true})
	want = map[string]plan.ActionType{
		`suite.s.run["native.gsm8k"]["a"]`:   plan.ActionRerun,
		`suite.s.run["native.gsm8k"]["b"]`:   plan.ActionRerun,
		`suite.s.run["native.math500"]["a"]`: plan.ActionNone,
		`suite.s.run["native.math500"]["b"]`: plan.ActionNone,
	}
	if diff := cmp.Diff(want, actions(p)); diff != "" {
		t.Errorf("plan after a dataset change (-want +got):\n%s", diff)
	}
}

func TestFailedRunSkipsOnlyItself(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	e.runner.fail["native.math500"] = true
	res := e.apply(e.plan(plan.Options{Refresh: true}))
	if diff := cmp.Diff([]string{`suite.s.run["native.math500"]["a"]`, `suite.s.run["native.math500"]["b"]`}, res.FailedAddrs()); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	st := e.state()
	if got := st.Resources[`suite.s.run["native.gsm8k"]["a"]`].Status; got != state.StatusComplete {
		t.Errorf("gsm8k status %q, want complete", got)
	}
	e.runner.fail = nil
	p := e.plan(plan.Options{Refresh: true})
	want := map[string]plan.ActionType{
		`suite.s.run["native.gsm8k"]["a"]`:   plan.ActionNone,
		`suite.s.run["native.gsm8k"]["b"]`:   plan.ActionNone,
		`suite.s.run["native.math500"]["a"]`: plan.ActionRerun,
		`suite.s.run["native.math500"]["b"]`: plan.ActionRerun,
	}
	if diff := cmp.Diff(want, actions(p)); diff != "" {
		t.Errorf("plan after a failure (-want +got):\n%s", diff)
	}
}

func TestTargetReplaceForget(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	p := e.plan(plan.Options{Refresh: true, Targets: []string{`suite.s.run[native.gsm8k]`}})
	if diff := cmp.Diff(map[string]plan.ActionType{
		`suite.s.run["native.gsm8k"]["a"]`: plan.ActionRun,
		`suite.s.run["native.gsm8k"]["b"]`: plan.ActionRun,
	}, actions(p)); diff != "" {
		t.Fatalf("targeted plan (-want +got):\n%s", diff)
	}
	e.apply(p)
	p = e.plan(plan.Options{Refresh: true, Replace: []string{`suite.s.run["native.gsm8k"]["a"]`}, Targets: []string{"suite.s.run[native.gsm8k]"}})
	if got := actions(p)[`suite.s.run["native.gsm8k"]["a"]`]; got != plan.ActionReplace {
		t.Errorf("replace action %q", got)
	}
	// Removing the suite forgets its runs.
	e.write(`endpoint "a" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-a"
}`)
	p = e.plan(plan.Options{Refresh: true})
	if p.Summary.Forget != 2 {
		t.Fatalf("forget = %d, want 2: %+v", p.Summary.Forget, p.Actions)
	}
	e.apply(p)
	if n := len(runResources(e.state())); n != 0 {
		t.Errorf("%d runs left in state after forget", n)
	}
}

func runResources(st *state.File) []string {
	var out []string
	for a, r := range st.Resources {
		if r.Type == "run" {
			out = append(out, a)
		}
	}
	return out
}

func TestRefreshFalseUsesState(t *testing.T) {
	e := newEnv(t)
	e.eps.maxLen = 4096
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	e.apply(e.plan(plan.Options{Refresh: true}))
	probes := e.eps.probes
	p := e.plan(plan.Options{Refresh: false})
	if e.eps.probes != probes {
		t.Errorf("-refresh=false probed endpoints")
	}
	if p.Summary.Changes() {
		t.Errorf("-refresh=false plan has changes (fingerprint from state lost max_model_len?): %+v", p.Actions)
	}
	// The server now reports another max_model_len: a re-run.
	e.eps.maxLen = 8192
	p = e.plan(plan.Options{Refresh: true})
	if p.Summary.Rerun != 4 {
		t.Errorf("after max_model_len change: %d re-runs, want 4", p.Summary.Rerun)
	}
}

func writeFile(tb testing.TB, dir, src string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func loadB(tb testing.TB, e *env) *config.Config {
	tb.Helper()
	return plantest.Load(tb, e.dir, nil, nil)
}

type fakeExporter struct {
	mu    sync.Mutex
	fail  bool
	calls []string
}

func (f *fakeExporter) Export(_ context.Context, x *config.Exporter, rec *plan.ExportRecord) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, x.Name+" "+rec.Address)
	if f.fail {
		return "", fmt.Errorf("server down")
	}
	return "ref-" + rec.Identity[:8], nil
}

func TestExports(t *testing.T) {
	e := newEnv(t)
	x := &fakeExporter{fail: true}
	e.engine.Exporters = map[string]plan.Exporter{"local": x}
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8) + `
exporter "local" "files" {
  suites = [suite.s]
}`)
	p := e.plan(plan.Options{Refresh: true, Targets: []string{`suite.s.run["native.gsm8k"]["a"]`}})
	if diff := cmp.Diff(map[string]plan.ActionType{
		`suite.s.run["native.gsm8k"]["a"]`:                              plan.ActionRun,
		`exporter.local.files.export[suite.s.run["native.gsm8k"]["a"]]`: plan.ActionExport,
	}, actions(p)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	res := e.apply(p)
	if diff := cmp.Diff([]string{`exporter.local.files.export[suite.s.run["native.gsm8k"]["a"]]`}, res.FailedAddrs()); diff != "" {
		t.Fatalf("failed (-want +got):\n%s", diff)
	}
	st := e.state()
	if got := st.Resources[`suite.s.run["native.gsm8k"]["a"]`]; got.Status != state.StatusComplete || got.Exports["exporter.local.files"].Error == "" {
		t.Fatalf("after a failed export the run must be complete and the export marked failed: %+v", got)
	}
	// The next plan retries the export only.
	x.fail = false
	p = e.plan(plan.Options{Refresh: true, Targets: []string{`suite.s.run["native.gsm8k"]["a"]`}})
	if diff := cmp.Diff(map[string]plan.ActionType{
		`suite.s.run["native.gsm8k"]["a"]`:                              plan.ActionNone,
		`exporter.local.files.export[suite.s.run["native.gsm8k"]["a"]]`: plan.ActionExport,
	}, actions(p)); diff != "" {
		t.Fatalf("re-plan (-want +got):\n%s", diff)
	}
	e.apply(p)
	p = e.plan(plan.Options{Refresh: true, Targets: []string{`suite.s.run["native.gsm8k"]["a"]`}})
	if p.Summary.Changes() {
		t.Errorf("after a successful export the plan still has changes: %+v", p.Summary)
	}
	if len(x.calls) != 2 {
		t.Errorf("exporter called %d times, want 2: %v", len(x.calls), x.calls)
	}
}

func TestCheckMessageNeverShowsSensitiveValues(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8) + `
variable "tok" {
  type      = string
  default   = "SUPERSECRETTOKEN"
  sensitive = true
}
check "leaky" {
  condition     = suite.s.result["native.gsm8k"]["a"].score >= 0.9
  error_message = "too low for ${var.tok}"
}`)
	res := e.apply(e.plan(plan.Options{Refresh: true}))
	for _, c := range res.Checks {
		if strings.Contains(c.Message, "SUPERSECRETTOKEN") {
			t.Errorf("%s message shows the secret: %s", c.Address, c.Message)
		}
		if c.Address == "check.leaky" && c.Status != plan.CheckFail {
			t.Errorf("check.leaky = %+v, want fail", c)
		}
	}
}

// TestVerifySaved: a saved plan is carried out only when planning again on the same
// configuration and state gives the same actions; every hand edit is refused, naming the
// address, and the state is not touched.
func TestVerifySaved(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	e.apply(e.plan(plan.Options{Refresh: true}))
	e.write(fmt.Sprintf(twoEndpoints, 1, "0.5", 8))

	gsmA := `suite.s.run["native.gsm8k"]["a"]`
	mathB := `suite.s.run["native.math500"]["b"]`
	tests := []struct {
		name string
		edit func(p *plan.Plan, a map[string]*plan.Action)
		want string // "" means accepted
	}{
		{"unedited", func(*plan.Plan, map[string]*plan.Action) {}, ""},
		{"another action", func(_ *plan.Plan, a map[string]*plan.Action) { a[gsmA].Action = plan.ActionRun }, gsmA + ": the plan says run, planning again says re-run"},
		{"reuse of another benchmark's result", func(_ *plan.Plan, a map[string]*plan.Action) {
			a[gsmA].Action, a[gsmA].ReuseFrom = plan.ActionReuse, mathB
		}, gsmA + ": the plan says reuse"},
		{"forget a configured run", func(_ *plan.Plan, a map[string]*plan.Action) { a[gsmA].Action = plan.ActionForget }, gsmA + ": the plan says forget"},
		{"unknown action word", func(_ *plan.Plan, a map[string]*plan.Action) { a[gsmA].Action = "explode" }, gsmA + ` has an unknown action "explode"`},
		{"edited operational parameter", func(_ *plan.Plan, a map[string]*plan.Action) {
			one := 1
			a[gsmA].Operational.Parallelism = &one
		}, gsmA + ": the planned re-run differs"},
		{"edited identity", func(_ *plan.Plan, a map[string]*plan.Action) { a[mathB].Identity = strings.Repeat("0", 64) }, mathB + ": the planned re-run differs"},
		{"dropped action", func(p *plan.Plan, _ map[string]*plan.Action) {
			p.Actions = slices.DeleteFunc(p.Actions, func(x *plan.Action) bool { return x.Address == mathB })
		}, mathB + ": planning again says re-run, which the plan does not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := plan.MarshalPlan(e.plan(plan.Options{Refresh: true}))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "p.json")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			saved, err := plan.ReadPlan(path)
			if err != nil {
				t.Fatal(err)
			}
			byAddr := map[string]*plan.Action{}
			for _, a := range saved.Actions {
				byAddr[a.Address] = a
			}
			tt.edit(saved, byAddr)
			before := e.state()
			fresh, diags, err := e.engine.VerifySaved(context.Background(), e.load(), before, saved)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unedited plan refused: %v", err)
				}
				for _, a := range fresh.Actions {
					if a.Action == plan.ActionRerun && a.Run == nil {
						t.Errorf("%s: the verified plan has no planned run", a.Address)
					}
				}
				return
			}
			if err == nil || !errors.Is(err, plan.ErrStalePlan) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("VerifySaved error = %v, want ErrStalePlan naming %q", err, tt.want)
			}
			if after := e.state(); after.Serial != before.Serial {
				t.Errorf("state serial %d → %d: verification wrote state", before.Serial, after.Serial)
			}
		})
	}
}

// TestApplyRefusesUnverifiedPlan: apply performs only planned runs; an action read from a
// file without verification has none and is refused.
func TestApplyRefusesUnverifiedPlan(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	b, err := plan.MarshalPlan(e.plan(plan.Options{Refresh: true}))
	if err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	cfg := e.load()
	_, diags := e.engine.Apply(context.Background(), cfg, &p, state.NewStore(cfg.Settings.State, e.state()), plan.ApplyOptions{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "no planned run") {
		t.Fatalf("apply of an unverified plan: %v, want refused", diags)
	}
	if len(e.runner.runs) != 0 {
		t.Errorf("runner called for %v", e.runner.runs)
	}
}

// TestReplaceTwiceInOneSecond: a second -replace within the same second keeps both old run
// directories under distinct names.
func TestReplaceTwiceInOneSecond(t *testing.T) {
	e := newEnv(t)
	fixed := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	e.engine.Now = func() time.Time { return fixed }
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	e.apply(e.plan(plan.Options{Refresh: true}))
	addr := `suite.s.run["native.gsm8k"]["a"]`
	for i := 0; i < 2; i++ {
		res := e.apply(e.plan(plan.Options{Refresh: true, Replace: []string{addr}}))
		if len(res.Errors) != 0 {
			t.Fatalf("replace %d: %v", i+1, res.Errors)
		}
	}
	h := e.state().Resources[addr].History
	if len(h) != 2 || h[0].RunDir == h[1].RunDir {
		t.Fatalf("history %+v, want two entries with distinct run directories", h)
	}
	for _, x := range h {
		if _, err := os.Stat(filepath.Join(e.dir, x.RunDir, "results.json")); err != nil {
			t.Errorf("kept run directory: %v", err)
		}
	}
}
