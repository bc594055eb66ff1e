package plantest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
)

// The contract against fakes of every provider interface: it pins the contract itself, so
// that a provider's contract test failing points at the provider.

type fakeEndpoints struct{}

func (fakeEndpoints) Probe(_ context.Context, ep *config.Endpoint) (plan.Fingerprint, error) {
	return plan.Fingerprint{Model: ep.Model, Type: ep.Type, MaxModelLen: 4096}, nil
}

// fakeDatasets serves local sources relative to dir.
type fakeDatasets struct{ dir string }

func (d fakeDatasets) Cached(ds *config.Dataset, _ string) (plan.DatasetFile, bool) {
	f, err := d.Fetch(context.Background(), ds, "", nil)
	return f, err == nil
}

func (d fakeDatasets) Fetch(_ context.Context, ds *config.Dataset, _ string, _ plan.Progress) (plan.DatasetFile, error) {
	path := filepath.Join(d.dir, ds.Source)
	b, err := os.ReadFile(path)
	if err != nil {
		return plan.DatasetFile{}, err
	}
	sum := sha256.Sum256(b)
	return plan.DatasetFile{Path: path, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}, nil
}

// fakeRunner completes every run with a fixed score and writes the run directory.
type fakeRunner struct{ plantest.Planner }

func (fakeRunner) Run(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (*plan.Outcome, error) {
	var m result.Mean
	for _, x := range []float64{1, 0, 1, 1} {
		m.Add(x)
	}
	res := &result.Result{Score: m.Metric().Value, Primary: "exact_match", N: 4, Metrics: map[string]result.Metric{"exact_match": m.Metric()}}
	if err := os.WriteFile(filepath.Join(spec.RunDir, "results.json"), []byte(`{"score": 0.75}`+"\n"), 0o644); err != nil {
		return nil, err
	}
	return &plan.Outcome{Status: state.StatusComplete, Result: res}, nil
}

// fakeExporter remembers what it exported, by identity.
type fakeExporter struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (x *fakeExporter) Export(_ context.Context, _ *config.Exporter, rec *plan.ExportRecord) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ids == nil {
		x.ids = map[string]bool{}
	}
	x.ids[rec.Identity] = true
	return "fake/" + rec.Identity[:12], nil
}

const fakeHCL = `
variable "model" {
  type = string
}

endpoint "a" {
  url   = "http://127.0.0.1:1/v1"
  model = var.model
}

endpoint "b" {
  url   = "http://127.0.0.1:1/v1"
  model = "${var.model}-b"
}

dataset "qa" {
  source = "qa.jsonl"
}

task "qa" {
  dataset = dataset.qa
  prompt  = record.question
  target  = record.answer
}

suite "s" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = [task.qa]
}

exporter "local" "files" {
  suites = [suite.s]
}

check "floor" {
  condition     = suite.s.result["task.qa"]["a"].score >= 0.5
  error_message = "too low"
}

output "scores" {
  value = suite.s.scores
}
`

func TestContractWithFakes(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"eval.hcl": fakeHCL,
		"qa.jsonl": `{"question": "2+2?", "answer": "4"}` + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	exp := &fakeExporter{}
	plantest.Contract(t, plantest.Case{
		Engine: &plan.Engine{
			Catalog: cat, Endpoints: fakeEndpoints{}, Datasets: fakeDatasets{dir: dir},
			Runners:   map[string]plan.Runner{"native": fakeRunner{}},
			Exporters: map[string]plan.Exporter{"local": exp},
			Version:   "test",
		},
		Dir:     dir,
		Vars:    []config.VarArg{{Name: "model", Value: "m"}},
		Environ: []string{},
		Check: func(t *testing.T, st *state.File) {
			if len(exp.ids) != 2 {
				t.Errorf("exported identities %v, want 2", exp.ids)
			}
			if _, ok := st.Outputs["scores"]; !ok {
				t.Errorf("outputs %v, want scores", st.Outputs)
			}
		},
	})
}
