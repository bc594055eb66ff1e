package mlflow_test

// The shared provider contract (plan/plantest) for the MLflow exporter against the real
// tracking server of EVALPLAN_TEST_MLFLOW_URI, with the native runner and the real endpoint
// and dataset providers against the simulated model server.

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/providers/mlflow"
	"github.com/evalplan/evalplan/schema"
)

const contractHCL = `
variable "url" {
  type = string
}

variable "tracking_uri" {
  type = string
}

variable "experiment" {
  type = string
}

endpoint "a" {
  url   = var.url
  model = "model-a"
}

endpoint "b" {
  url   = var.url
  model = "model-b"
}

dataset "qa" {
  source = "qa.jsonl"
}

task "qa" {
  dataset = dataset.qa
  prompt  = "Question: ${record.question}"
  target  = record.answer
  metric  = "contains"
}

suite "s" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = [task.qa]
}

exporter "mlflow" "team" {
  tracking_uri = var.tracking_uri
  experiment   = var.experiment
  suites       = [suite.s]
}
`

func TestContract(t *testing.T) {
	uri := os.Getenv("EVALPLAN_TEST_MLFLOW_URI")
	if uri == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_MLFLOW_URI is not set (CI=true)")
		}
		t.Skip("EVALPLAN_TEST_MLFLOW_URI is not set")
	}
	dir := t.TempDir()
	qa := `{"question": "2+2?", "answer": "4"}` + "\n" + `{"question": "3+3?", "answer": "6"}` + "\n"
	for name, body := range map[string]string{"eval.hcl": contractHCL, "qa.jsonl": qa} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sim.DefaultConfig()
	cfg.Models = []string{"model-a", "model-b"}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	runner := &native.Runner{}
	t.Cleanup(func() {
		if err := runner.Close(); err != nil {
			t.Error(err)
		}
	})
	experiment := "evalplan-test-contract-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	vars := []config.VarArg{
		{Name: "url", Value: ts.URL + "/v1"},
		{Name: "tracking_uri", Value: uri},
		{Name: "experiment", Value: experiment},
	}
	loaded := plantest.Load(t, dir, vars, nil)
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	exp := &mlflow.Exporter{CacheDir: loaded.Settings.CacheDir, Getenv: func(string) string { return "" }}
	plantest.Contract(t, plantest.Case{
		Engine: &plan.Engine{
			Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: dir},
			Runners:   map[string]plan.Runner{"native": runner},
			Exporters: map[string]plan.Exporter{"mlflow": exp},
			Version:   "test",
		},
		Dir:  dir,
		Vars: vars,
		Check: func(t *testing.T, st *state.File) {
			c, err := mlflow.NewClient(uri, mlflow.Auth{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			x, err := c.ExperimentByName(t.Context(), experiment)
			if err != nil {
				t.Fatal(err)
			}
			all, err := c.SearchRuns(t.Context(), []string{x.ID}, "")
			if err != nil {
				t.Fatal(err)
			}
			addrs := []string{addrs.Run{Suite: "s", Benchmark: "task.qa", Endpoint: "a"}.String(), addrs.Run{Suite: "s", Benchmark: "task.qa", Endpoint: "b"}.String()}
			if len(all) != len(addrs) {
				t.Errorf("%d MLflow runs in %s, want %d", len(all), experiment, len(addrs))
			}
			for _, addr := range addrs {
				r := st.Resources[addr]
				run, err := c.GetRun(t.Context(), r.Exports["exporter.mlflow.team"].Ref)
				if err != nil {
					t.Fatalf("%s: %v", addr, err)
				}
				id, _ := run.Tag("evalplan.identity")
				a, _ := run.Tag("evalplan.address")
				if id != r.Identity || a != addr || run.Info.ExperimentID != x.ID || run.Info.Status != "FINISHED" {
					t.Errorf("%s: MLflow run %s has identity %q address %q experiment %s status %s", addr, run.Info.RunID, id, a, run.Info.ExperimentID, run.Info.Status)
				}
			}
		},
	})
}
