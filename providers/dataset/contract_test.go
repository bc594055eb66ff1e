package dataset_test

// The shared provider contract (plan/plantest) for the dataset provider fetching over https
// (an httptest TLS server) a dataset with a declared sha256, with the native runner and the
// real endpoint provider against the simulated model server.

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/schema"
)

const contractHCL = `
variable "url" {
  type = string
}

variable "source" {
  type = string
}

variable "sha256" {
  type = string
}

endpoint "sim" {
  url   = var.url
  model = "sim-model"
}

dataset "remote" {
  source = var.source
  sha256 = var.sha256
}

suite "s" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k"]
  benchmark "native.gsm8k" {
    dataset = dataset.remote
  }
}
`

// contractGSM8K is made-up GSM8K-shaped data written for this test.
const contractGSM8K = `{"question": "Ava packs 3 boxes with 4 pencils in each box. How many pencils did she pack?", "answer": "Ava packs 3 * 4 = <<3*4=12>>12 pencils.\n#### 12"}
{"question": "Ben has 20 marbles and gives 7 to a friend. How many marbles does Ben have left?", "answer": "Ben has 20 - 7 = <<20-7=13>>13 marbles left.\n#### 13"}
{"question": "A shelf holds 5 rows of 6 books. How many books does the shelf hold?", "answer": "It holds 5 * 6 = <<5*6=30>>30 books.\n#### 30"}
{"question": "Chen reads 15 pages a day for 4 days. How many pages does Chen read?", "answer": "Chen reads 15 * 4 = <<15*4=60>>60 pages.\n#### 60"}
`

func TestContract(t *testing.T) {
	data := filepath.Join(t.TempDir(), "gsm8k.jsonl") // what the simulator recognises
	if err := os.WriteFile(data, []byte(contractGSM8K), 0o644); err != nil {
		t.Fatal(err)
	}
	var gets atomic.Int64
	files := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/gsm8k.jsonl" {
			http.NotFound(w, r)
			return
		}
		gets.Add(1)
		http.ServeFile(w, r, data)
	}))
	t.Cleanup(files.Close)
	sum := sha256.Sum256([]byte(contractGSM8K))
	sha := hex.EncodeToString(sum[:])

	cfg := sim.DefaultConfig()
	cfg.Datasets = []string{data}
	cfg.Seed = 7
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(contractHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	runner := &native.Runner{}
	t.Cleanup(func() {
		if err := runner.Close(); err != nil {
			t.Error(err)
		}
	})
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	vars := []config.VarArg{
		{Name: "url", Value: ts.URL + "/v1"},
		{Name: "source", Value: files.URL + "/data/gsm8k.jsonl"},
		{Name: "sha256", Value: sha},
	}
	provider := &dataset.Provider{Dir: dir, Client: files.Client()}
	plantest.Contract(t, plantest.Case{
		Engine: &plan.Engine{
			Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: provider,
			Runners: map[string]plan.Runner{"native": runner},
			Version: "test",
		},
		Dir:  dir,
		Vars: vars,
		Check: func(t *testing.T, st *state.File) {
			addr := addrs.Run{Suite: "s", Benchmark: "native.gsm8k", Endpoint: "sim"}.String()
			r := st.Resources[addr]
			if r.Inputs["dataset"] != sha {
				t.Errorf("%s: identity dataset %v, want the declared sha256 %s", addr, r.Inputs["dataset"], sha)
			}
			if r.Result.N != 4 || r.Result.Errors != 0 {
				t.Errorf("%s: n %d errors %d, want 4 0", addr, r.Result.N, r.Result.Errors)
			}
			// Fetched once, by the first apply, into the cache; nothing asked the server since.
			if n := gets.Load(); n != 1 {
				t.Errorf("%d downloads, want 1", n)
			}
			loaded := plantest.Load(t, dir, vars, nil)
			f, ok := provider.Cached(loaded.Datasets["remote"], loaded.Settings.CacheDir)
			if !ok || f.SHA256 != sha || f.Size != int64(len(contractGSM8K)) {
				t.Errorf("cached: %+v %v, want sha256 %s, %d bytes", f, ok, sha, len(contractGSM8K))
			}
		},
	})
}
