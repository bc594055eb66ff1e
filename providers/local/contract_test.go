package local_test

// The shared provider contract (plan/plantest) for the local exporter, with the native
// runner and the real endpoint and dataset providers against the simulated model server.

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/providers/local"
	"github.com/evalplan/evalplan/schema"
)

const contractHCL = `
variable "url" {
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

exporter "local" "files" {
  suites = [suite.s]
}

exporter "local" "elsewhere" {
  suites = [suite.s]
  path   = "exports"
}
`

const contractQA = `{"question": "2+2?", "answer": "4"}
{"question": "3+3?", "answer": "6"}
{"question": "Capital of France?", "answer": "Paris"}
`

func TestContract(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"eval.hcl": contractHCL, "qa.jsonl": contractQA} {
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
	vars := []config.VarArg{{Name: "url", Value: ts.URL + "/v1"}}
	loaded := plantest.Load(t, dir, vars, nil)
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	plantest.Contract(t, plantest.Case{
		Engine: &plan.Engine{
			Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: dir},
			Runners:   map[string]plan.Runner{"native": runner},
			Exporters: map[string]plan.Exporter{"local": &local.Exporter{ConfigDir: loaded.Dir, OutputDir: loaded.Settings.OutputDir}},
			Version:   "test",
		},
		Dir:  dir,
		Vars: vars,
		Check: func(t *testing.T, st *state.File) {
			runs := []string{addrs.Run{Suite: "s", Benchmark: "task.qa", Endpoint: "a"}.String(), addrs.Run{Suite: "s", Benchmark: "task.qa", Endpoint: "b"}.String()}
			for key, sub := range map[string]string{"local.files": "output/results", "local.elsewhere": "exports"} {
				rows, err := local.ReadRows(filepath.Join(dir, sub, local.JSONLFile))
				if err != nil {
					t.Fatal(err)
				}
				for _, addr := range runs {
					r := st.Resources[addr]
					row := rows[addr]
					score, _ := row["score"].(json.Number) // ReadRows keeps numbers as written
					got := map[string]any{"identity": row["identity"], "score": score.String(), "ref": r.Exports["exporter."+key].Ref}
					want := map[string]any{"identity": r.Identity, "score": strconv.FormatFloat(r.Result.Score, 'g', -1, 64), "ref": filepath.Join(sub, local.JSONLFile)}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s row of %s (-want +got):\n%s", key, addr, diff)
					}
				}
				if len(rows) != len(runs) {
					t.Errorf("%s: %d rows, want %d", key, len(rows), len(runs))
				}
				if _, err := os.Stat(filepath.Join(dir, sub, local.CSVFile)); err != nil {
					t.Error(err)
				}
			}
		},
	})
}
