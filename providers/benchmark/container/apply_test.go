package container_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

const evalHCL = `
evalplan {
  image_mirror = "MIRROR"
}

endpoint "a" {
  url     = "URL"
  model   = "model-a"
  api_key = "test-key"
}

endpoint "b" {
  url     = "URL"
  model   = "model-b"
  api_key = "test-key"
}

dataset "qa" {
  source = "qa.jsonl"
}

task "qa" {
  dataset = dataset.qa
  prompt  = record.question
  target  = record.answer
}

suite "mixed" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = ["simple_evals.gpqa_diamond", "simple_evals.mmlu_pro", task.qa]
  params {
    limit_samples = 3
  }
  benchmark "simple_evals.gpqa_diamond" {
    image = "GPQA"
  }
  benchmark "simple_evals.mmlu_pro" {
    image = "MMLU"
  }
}
`

// TestApplyEndToEnd plans and applies a suite that mixes container and native tasks across
// two endpoints against the local registry and the simulator, re-plans (everything up to
// date), then bumps one image's digest and re-plans (exactly its runs re-run).
func TestApplyEndToEnd(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 0.5, "model-a", "model-b")
	v1 := f.push(t, "v1", containertest.ImageOptions{})
	v2 := f.push(t, "v2", containertest.ImageOptions{Salt: "v2"})
	dir := t.TempDir()
	write := func(gpqa string) {
		hcl := strings.NewReplacer("MIRROR", f.reg.Addr+"/eval-factory", "URL", url, "GPQA", gpqa, "MMLU", v1).Replace(evalHCL)
		if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(hcl), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "qa.jsonl"), []byte(`{"question": "2+2?", "answer": "4"}`+"\n"+`{"question": "3+3?", "answer": "6"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write(v1)
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	load := func() (*config.Config, *plan.Engine) {
		cfg, diags := config.Load(dir, config.LoadOptions{Catalog: cat})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return cfg, &plan.Engine{
			Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: cfg.Dir},
			Runners: map[string]plan.Runner{
				"native":        &native.Runner{},
				plan.AnyHarness: &container.Runner{Docker: f.docker, Config: cfg},
			},
			Version: "test",
		}
	}
	ctx := context.Background()
	statePath := filepath.Join(dir, "evalplan.state.json")
	planned := func() (*config.Config, *plan.Engine, *plan.Plan, map[string]plan.ActionType) {
		cfg, e := load()
		st, err := state.Load(statePath)
		if errors.Is(err, fs.ErrNotExist) {
			st = state.New("test")
		} else if err != nil {
			t.Fatal(err)
		}
		p, diags := e.Plan(ctx, cfg, st, plan.Options{Refresh: true})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		acts := map[string]plan.ActionType{}
		for _, a := range p.Actions {
			acts[a.Address] = a.Action
		}
		return cfg, e, p, acts
	}
	run := func(b, e string) string { return addrs.Run{Suite: "mixed", Benchmark: b, Endpoint: e}.String() }

	cfg, e, p, acts := planned()
	want := map[string]plan.ActionType{}
	for _, b := range []string{"simple_evals.gpqa_diamond", "simple_evals.mmlu_pro", "task.qa"} {
		for _, ep := range []string{"a", "b"} {
			want[run(b, ep)] = plan.ActionRun
		}
	}
	if diff := cmp.Diff(want, acts); diff != "" {
		t.Fatalf("first plan (-want +got):\n%s", diff)
	}
	res, diags := e.Apply(ctx, cfg, p, state.NewStore(statePath, state.New("test")), plan.ApplyOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("apply errors: %v", res.Errors)
	}
	after, err := state.Load(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if r := after.Resources[run("simple_evals.gpqa_diamond", "b")]; r == nil || r.Result == nil || r.Result.Primary != "score_micro" || r.Result.N != 3 {
		t.Fatalf("state of a container run: %+v", r)
	}

	_, _, _, acts = planned()
	for addr, a := range acts {
		if a != plan.ActionNone {
			t.Errorf("re-plan: %s %s, want up to date", a, addr)
		}
	}

	write(v2) // bump the gpqa image's digest
	_, _, _, acts = planned()
	var rerun []string
	for addr, a := range acts {
		if a != plan.ActionNone {
			rerun = append(rerun, string(a)+" "+addr)
		}
	}
	sort.Strings(rerun)
	wantRerun := []string{"re-run " + run("simple_evals.gpqa_diamond", "a"), "re-run " + run("simple_evals.gpqa_diamond", "b")}
	if diff := cmp.Diff(wantRerun, rerun); diff != "" {
		t.Errorf("after the digest bump (-want +got):\n%s", diff)
	}
}
