package mlflow_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/mlflow"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// The engine with fakes for everything but the exporter, which talks to the real server.

type fakeEndpoints struct{}

func (fakeEndpoints) Probe(_ context.Context, ep *config.Endpoint) (plan.Fingerprint, error) {
	return plan.Fingerprint{Model: ep.Model, Type: ep.Type}, nil
}

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

// fakeRunner completes every run and writes results.json and samples.jsonl.
type fakeRunner struct {
	plantest.Planner
	runs int
}

func (f *fakeRunner) Run(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (*plan.Outcome, error) {
	f.runs++
	var m result.Mean
	for _, x := range []float64{1, 0, 1, 1} {
		m.Add(x)
	}
	res := &result.Result{Score: m.Metric().Value, Primary: "accuracy", N: 4, Metrics: map[string]result.Metric{"accuracy": m.Metric()}}
	for name, body := range map[string]string{
		"results.json":  `{"score": 0.75}`,
		"samples.jsonl": `{"id":"1","prompt":"q","response":"a","target":"a","extracted":{},"score":{"accuracy":1},"error":null,"latency_ms":1,"usage":{},"attempts":1}` + "\n",
	} {
		if err := os.WriteFile(filepath.Join(spec.RunDir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	return &plan.Outcome{Status: state.StatusComplete, Result: res}, nil
}

const configTmpl = `
endpoint "a" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-a"
}
dataset "d" {
  source = "data.jsonl"
  sha256 = "%064d"
}
suite "s" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.gsm8k"]
  params { limit_samples = 4 }
  benchmark "native.gsm8k" { dataset = dataset.d }
}
exporter "mlflow" "team" {
  tracking_uri = %q
  experiment   = %q
  suites       = [suite.s]
}
`

type env struct {
	t      *testing.T
	dir    string
	engine *plan.Engine
	runner *fakeRunner
}

func (e *env) write(uri, experiment string) {
	e.t.Helper()
	src := fmt.Sprintf(configTmpl, 1, uri, experiment)
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

// planApply plans and applies, returning the plan's actions and the failed addresses.
func (e *env) planApply() (map[string]plan.ActionType, []string) {
	e.t.Helper()
	ctx := context.Background()
	cfg := e.load()
	p, diags := e.engine.Plan(ctx, cfg, e.state(), plan.Options{Refresh: true})
	if diags.HasErrors() {
		e.t.Fatalf("plan: %v", diags)
	}
	acts := map[string]plan.ActionType{}
	for _, a := range p.Actions {
		acts[a.Address] = a.Action
	}
	res, diags := e.engine.Apply(ctx, cfg, p, state.NewStore(cfg.Settings.State, e.state()), plan.ApplyOptions{})
	if diags.HasErrors() {
		e.t.Fatalf("apply: %v", diags)
	}
	return acts, res.FailedAddrs()
}

func TestApplyExportsAndRetries(t *testing.T) {
	uri := os.Getenv("EVALPLAN_TEST_MLFLOW_URI")
	if uri == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_MLFLOW_URI is not set (CI=true)")
		}
		t.Skip("EVALPLAN_TEST_MLFLOW_URI is not set")
	}
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: t.TempDir(), runner: &fakeRunner{}}
	exp := &mlflow.Exporter{Getenv: func(string) string { return "" }}
	e.engine = &plan.Engine{
		Catalog: cat, Endpoints: fakeEndpoints{}, Datasets: fakeDatasets{},
		Runners: map[string]plan.Runner{"native": e.runner}, Version: "test",
		Exporters: map[string]plan.Exporter{"mlflow": exp},
	}
	experiment := "evalplan-test-engine-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	const runAddr = `suite.s.run["native.gsm8k"]["a"]`
	exportAddr := addrs.Export{Exporter: addrs.Exporter{Type: "mlflow", Name: "team"}, Run: addrs.Run{Suite: "s", Benchmark: "native.gsm8k", Endpoint: "a"}}.String()

	// MLflow down: the run completes and is recorded; the export fails with a clear message.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	e.write(down, experiment)
	acts, failed := e.planApply()
	if diff := cmp.Diff(map[string]plan.ActionType{runAddr: plan.ActionRun, exportAddr: plan.ActionExport}, acts); diff != "" {
		t.Fatalf("first plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{exportAddr}, failed); diff != "" {
		t.Fatalf("failed (-want +got):\n%s", diff)
	}
	res := e.state().Resources[runAddr]
	if res.Status != state.StatusComplete || !strings.Contains(res.Exports["exporter.mlflow.team"].Error, "is not reachable") {
		t.Fatalf("after MLflow was down: status %s, export %+v", res.Status, res.Exports)
	}

	// MLflow back: the next apply retries only the export.
	e.write(uri, experiment)
	acts, failed = e.planApply()
	if diff := cmp.Diff(map[string]plan.ActionType{runAddr: plan.ActionNone, exportAddr: plan.ActionExport}, acts); diff != "" {
		t.Fatalf("second plan (-want +got):\n%s", diff)
	}
	if len(failed) > 0 || e.runner.runs != 1 {
		t.Fatalf("second apply: failed %v, %d runs", failed, e.runner.runs)
	}
	ex := e.state().Resources[runAddr].Exports["exporter.mlflow.team"]
	if ex.Error != "" || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(ex.Ref) {
		t.Fatalf("export recorded as %+v", ex)
	}

	// A third apply has nothing to do; dropping the export from state (state lost) exports
	// again but finds the same MLflow run.
	if acts, _ = e.planApply(); acts[exportAddr] != "" && acts[exportAddr] != plan.ActionNone {
		t.Errorf("third plan exports again: %v", acts)
	}
	store := state.NewStore(filepath.Join(e.dir, "evalplan.state.json"), e.state())
	if err := store.Update(func(f *state.File) { f.Resources[runAddr].Exports = nil }); err != nil {
		t.Fatal(err)
	}
	done, errs := e.engine.Export(context.Background(), e.load(), store, plan.ExportOptions{})
	if len(errs) > 0 || len(done) != 1 {
		t.Fatalf("Export: done %v, errs %v", done, errs)
	}
	if got := store.Snapshot().Resources[runAddr].Exports["exporter.mlflow.team"].Ref; got != ex.Ref {
		t.Errorf("re-export after state loss made run %s, want %s", got, ex.Ref)
	}
	c, err := mlflow.NewClient(uri, mlflow.Auth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.ExperimentByName(context.Background(), experiment)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := c.SearchRuns(context.Background(), []string{x.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Errorf("%d MLflow runs, want 1", len(runs))
	}
}
