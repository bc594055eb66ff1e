package container_test

// The shared provider contract (plan/plantest) for the container runner against the local
// registry and Docker, with the real endpoint provider and the simulated model server.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/schema"
)

const contractHCL = `
variable "url" {
  type = string
}

variable "image" {
  type = string
}

evalplan {
  image_mirror = "MIRROR"
}

endpoint "a" {
  url     = var.url
  model   = "model-a"
  api_key = "test-key"
}

endpoint "b" {
  url     = var.url
  model   = "model-b"
  api_key = "test-key"
}

suite "s" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = ["simple_evals.gpqa_diamond"]
  params {
    limit_samples = 3
  }
  benchmark "simple_evals.gpqa_diamond" {
    image = var.image
  }
}
`

func TestContract(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 0.5, "model-a", "model-b")
	ref := f.push(t, "contract", containertest.ImageOptions{})
	dir := t.TempDir()
	hcl := strings.ReplaceAll(contractHCL, "MIRROR", f.reg.Addr+"/eval-factory")
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := []config.VarArg{{Name: "url", Value: url}, {Name: "image", Value: ref}}
	cfg := plantest.Load(t, dir, vars, nil)
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	plantest.Contract(t, plantest.Case{
		Engine: &plan.Engine{
			Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: dir},
			Runners: map[string]plan.Runner{plan.AnyHarness: &container.Runner{Docker: f.docker, Config: cfg}},
			Version: "test",
		},
		Dir:  dir,
		Vars: vars,
		Check: func(t *testing.T, st *state.File) {
			for _, ep := range []string{"a", "b"} {
				addr := addrs.Run{Suite: "s", Benchmark: "simple_evals.gpqa_diamond", Endpoint: ep}.String()
				r := st.Resources[addr]
				if r.Result.Primary != "score_micro" || r.Result.N != 3 {
					t.Errorf("%s: result primary %q n %d, want score_micro 3", addr, r.Result.Primary, r.Result.N)
				}
				b, _ := r.Inputs["benchmark"].(map[string]any)
				if b["image"] != ref {
					t.Errorf("%s: identity image %v, want %s", addr, b["image"], ref)
				}
				for _, name := range []string{rundir.ResultsFile, rundir.ContainerResultsFile, rundir.ContainerConfigFile} {
					if _, err := os.Stat(filepath.Join(dir, r.RunDir, name)); err != nil {
						t.Errorf("%s: run directory: %v", addr, err)
					}
				}
			}
		},
	})
}
