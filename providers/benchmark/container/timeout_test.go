package container_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/schema"
)

const timeoutHCL = `
endpoint "a" {
  url     = "URL"
  model   = "model-a"
  api_key = "test-key"
}

suite "slow" {
  endpoints  = [endpoint.a]
  benchmarks = ["simple_evals.gpqa_diamond"]
  params {
    timeout = 3
    extra   = { mode = "hang" }
  }
  benchmark "simple_evals.gpqa_diamond" {
    image = "IMAGE"
  }
}
`

// TestApplyTimeout applies a suite whose container hangs past params.timeout through the
// engine, whose own deadline coincides with the runner's: the run fails as timed out, with
// the container's last log lines, and no container is left behind.
func TestApplyTimeout(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "hang", containertest.ImageOptions{})
	dir := t.TempDir()
	hcl := strings.NewReplacer("URL", url, "IMAGE", ref).Replace(timeoutHCL)
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
	e := &plan.Engine{
		Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: cfg.Dir},
		Runners: map[string]plan.Runner{plan.AnyHarness: &container.Runner{Docker: f.docker, Config: cfg}},
		Version: "test",
	}
	ctx := context.Background()
	statePath := filepath.Join(dir, "evalplan.state.json")
	addr := addrs.Run{Suite: "slow", Benchmark: "simple_evals.gpqa_diamond", Endpoint: "a"}.String()

	st := state.New("test")
	p, diags := e.Plan(ctx, cfg, st, plan.Options{Refresh: true})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res, diags := e.Apply(ctx, cfg, p, state.NewStore(statePath, st), plan.ApplyOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if res.Interrupted {
		t.Error("apply reports an interruption, want a timed-out run")
	}
	after, err := state.Load(statePath)
	if err != nil {
		t.Fatal(err)
	}
	r := after.Resources[addr]
	if r == nil || r.Status != state.StatusFailed {
		t.Fatalf("run after apply: %+v", r)
	}
	for _, want := range []string{"timed out after 3s", "last lines of the container's log", "hanging on purpose"} {
		if !strings.Contains(r.Error, want) {
			t.Errorf("error %q does not contain %q", r.Error, want)
		}
	}
	if strings.Contains(r.Error, "interrupted") {
		t.Errorf("error %q calls the timeout an interruption", r.Error)
	}
	left, err := f.docker.Leftovers(ctx, map[string]string{"dev.evalplan.address": addr})
	if err != nil || len(left) > 0 {
		t.Errorf("containers left behind: %v %v", left, err)
	}

}

// TestRunnerLogPerAttempt runs a failing container twice in the same run directory:
// container.log holds only the second attempt, under its header line.
func TestRunnerLogPerAttempt(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	sp, cfg := spec(t, url, ref, config.Params{Extra: map[string]any{"mode": "exit1"}})
	r := &container.Runner{Docker: f.docker, Config: cfg}
	for range 2 {
		if out, err := r.Run(context.Background(), sp, nil); err != nil || out.Status != state.StatusFailed {
			t.Fatalf("run: %+v %v", out, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerLogFile))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if n := strings.Count(log, "failing on purpose"); n != 1 {
		t.Errorf("container.log holds %d attempts, want only the last:\n%s", n, log)
	}
	if !strings.HasPrefix(log, "evalplan: "+sp.Address+" with ") || !strings.Contains(log, "attempt started") {
		t.Errorf("container.log does not start with the attempt's header:\n%s", log)
	}
}
