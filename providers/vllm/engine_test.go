package vllm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// hashDatasets pretends every dataset is fetched, with a sha256 derived from its source.
type hashDatasets struct{}

func (d hashDatasets) Cached(ds *config.Dataset, dir string) (plan.DatasetFile, bool) {
	f, _ := d.Fetch(context.Background(), ds, dir, nil)
	return f, true
}

func (hashDatasets) Fetch(_ context.Context, ds *config.Dataset, _ string, _ plan.Progress) (plan.DatasetFile, error) {
	return plan.DatasetFile{Path: ds.Source, SHA256: fmt.Sprintf("%064x", len(ds.Source))}, nil
}

// modelsRunner checks that each run's endpoint answers /models and completes the run.
type modelsRunner struct {
	plantest.Planner
	mu   sync.Mutex
	urls []string
}

func (r *modelsRunner) Run(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (*plan.Outcome, error) {
	r.mu.Lock()
	r.urls = append(r.urls, spec.Endpoint.URL)
	r.mu.Unlock()
	if err := (&Provider{}).ready(context.Background(), spec.Endpoint, spec.Endpoint.URL); err != nil {
		return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}, nil
	}
	if err := os.WriteFile(filepath.Join(spec.RunDir, "results.json"), []byte("{}"), 0o644); err != nil {
		return nil, err
	}
	res := &result.Result{Score: 1, Primary: "accuracy", N: 1, Metrics: map[string]result.Metric{"accuracy": {Value: 1, N: 1}}}
	return &plan.Outcome{Status: state.StatusComplete, Result: res}, nil
}

// TestEngineStartsAndStops: plan shows the service; apply starts the server once for both
// runs, hands its URL to the runner, and stops it after the last run.
func TestEngineStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	hcl := fmt.Sprintf(`
endpoint "sim" {
  model = "sim-model"
  vllm {
    runtime       = "process"
    command       = [%q, "-addr", "127.0.0.1:{port}"]
    env           = { %s = "sim" }
    extra_args    = ["--seed", "1"]
    start_timeout = 60
  }
}

suite "s" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k", "native.mmlu"]
}
`, os.Args[0], helperEnv)
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(dir, config.LoadOptions{Catalog: cat})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	svc := &Provider{Dir: cfg.Settings.OutputDir, WorkDir: cfg.Dir, GPUs: cfg.GPUs}
	runner := &modelsRunner{}
	e := &plan.Engine{Catalog: cat, Datasets: hashDatasets{}, Runners: map[string]plan.Runner{"native": runner}, Services: svc, Version: "test"}
	ctx := context.Background()
	st := state.New("test")
	p, diags := e.Plan(ctx, cfg, st, plan.Options{Refresh: true})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff([]plan.ServiceAction{{Address: "endpoint.sim", Start: true, Stop: true}}, p.Services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	for _, w := range p.Warnings {
		if strings.Contains(w, "managed endpoints") {
			t.Errorf("warning: %s", w)
		}
	}
	for _, a := range p.Actions {
		if fp := a.Identity; fp == "" {
			t.Errorf("%s: no identity", a.Address)
		}
	}
	res, diags := e.Apply(ctx, cfg, p, state.NewStore(cfg.Settings.State, st), plan.ApplyOptions{})
	if diags.HasErrors() || len(res.Errors) > 0 {
		t.Fatalf("apply: %v %v", diags, res.Errors)
	}
	if len(runner.urls) != 2 || runner.urls[0] != runner.urls[1] || !strings.HasPrefix(runner.urls[0], "http://127.0.0.1:") {
		t.Errorf("runs got URLs %q, want the same managed server twice", runner.urls)
	}
	log, err := os.ReadFile(filepath.Join(cfg.Settings.OutputDir, ServicesDir, "sim.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "=== evalplan: "); n != 1 {
		t.Errorf("server started %d times, want once:\n%s", n, log)
	}
	if len(svc.running) != 0 || svc.readRecord("sim") != nil {
		t.Errorf("server not stopped after the last run: %+v", svc.running)
	}
	fp := e.Services.(plan.ServiceFingerprinter).ConfigFingerprint(cfg.Endpoints["sim"])
	if diff := cmp.Diff([]string{"--seed=1"}, fp.ServerArgs); diff != "" {
		t.Errorf("server args (-want +got):\n%s", diff)
	}
}
