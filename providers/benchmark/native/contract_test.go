package native_test

// The shared provider contract (plan/plantest) for the native runner with the real endpoint
// and dataset providers, against the simulated model server on 127.0.0.1: one case per
// native task and one for a task block.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/schema"
)

// contractHCL is a suite of one benchmark (BENCH) against the simulator, whose dataset block
// (DATASET) feeds a task block, or replaces a native task's canonical source (OVERRIDE).
const contractHCL = `
variable "url" {
  type = string
}

endpoint "sim" {
  url   = var.url
  model = "sim-model"
}

DATASET

task "qa" {
  dataset       = dataset.data
  system_prompt = "Answer with one word."
  prompt        = "Question: ${record.question}"
  target        = record.answer
  metric        = "contains"
  normalize     = ["lower", "strip"]
}

suite "s" {
  endpoints  = [endpoint.sim]
  benchmarks = [BENCH]
  params {
    limit_samples = 5
    parallelism   = 4
  }
  OVERRIDE
}

output "scores" {
  value = suite.s.scores
}
`

func TestContract(t *testing.T) {
	tests := []struct {
		bench   string // as written in benchmarks
		key     string // the benchmark's key
		source  string // fixture under testdata, a file or directory
		pin     bool   // declare the file's sha256
		primary string
		n       int
	}{
		{bench: `"native.gsm8k"`, key: "native.gsm8k", source: "gsm8k_test_20.jsonl", pin: true, primary: "flexible_extract", n: 5},
		{bench: `"native.mmlu"`, key: "native.mmlu", source: "mmlu", primary: "accuracy", n: 5},
		{bench: `"native.arc_challenge"`, key: "native.arc_challenge", source: "arc_challenge_6.jsonl", pin: true, primary: "accuracy", n: 5},
		{bench: `"native.math500"`, key: "native.math500", source: "math500_6.jsonl", primary: "accuracy", n: 5},
		{bench: "task.qa", key: "task.qa", source: "qa.jsonl", pin: true, primary: "contains", n: 3},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			dir := t.TempDir()
			copyFixture(t, filepath.Join("testdata", tt.source), filepath.Join(dir, tt.source))
			block := fmt.Sprintf("dataset %q {\n  source = %q\n", "data", tt.source)
			if tt.pin {
				block += fmt.Sprintf("  sha256 = %q\n", fileSHA256(t, filepath.Join(dir, tt.source)))
			}
			block += "}\n"
			override := ""
			if tt.key != "task.qa" {
				override = fmt.Sprintf("benchmark %q {\n    dataset = dataset.data\n  }", tt.key)
			}
			hcl := strings.NewReplacer("DATASET", block, "BENCH", tt.bench, "OVERRIDE", override).Replace(contractHCL)
			if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(hcl), 0o644); err != nil {
				t.Fatal(err)
			}
			srv := startContractSim(t, dir, tt.source)
			runner := &native.Runner{Limiters: &openai.Limiters{}}
			t.Cleanup(func() {
				if err := runner.Close(); err != nil {
					t.Error(err)
				}
			})
			cat, err := schema.LoadCatalog()
			if err != nil {
				t.Fatal(err)
			}
			addr := addrs.Run{Suite: "s", Benchmark: tt.key, Endpoint: "sim"}.String()
			plantest.Contract(t, plantest.Case{
				Engine: &plan.Engine{
					Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: dir},
					Runners: map[string]plan.Runner{"native": runner},
					Version: "test",
				},
				Dir:     dir,
				Vars:    []config.VarArg{{Name: "url", Value: srv.url}},
				Environ: []string{},
				Check: func(t *testing.T, st *state.File) {
					r := st.Resources[addr]
					if r.Result.Primary != tt.primary || r.Result.N+r.Result.Errors != tt.n || r.Result.Errors != 0 {
						t.Errorf("%s: result primary %q n %d errors %d, want %q %d 0", addr, r.Result.Primary, r.Result.N, r.Result.Errors, tt.primary, tt.n)
					}
					for _, name := range []string{rundir.JournalFile, rundir.ResultsFile, rundir.RunConfigFile} {
						if _, err := os.Stat(filepath.Join(dir, r.RunDir, name)); err != nil {
							t.Errorf("run directory: %v", err)
						}
					}
					if ep := st.Resources[addrs.Endpoint{Name: "sim"}.String()]; ep == nil || ep.Inputs["model"] != sim.DefaultModel {
						t.Errorf("endpoint.sim in state: %+v", ep)
					}
					// One request per sample, all in the first apply: the second asked nothing.
					if got := srv.Count(sim.RouteChat); got != int64(tt.n) {
						t.Errorf("chat requests %d, want %d", got, tt.n)
					}
				},
			})
		})
	}
}

// contractSim is the simulator recognising the questions of a fixture.
type contractSim struct {
	*sim.Server
	url string
}

// startContractSim serves the simulator until the end of the test; it recognises the
// questions of source under dir (a file, or a directory of MMLU CSV files).
func startContractSim(t *testing.T, dir, source string) *contractSim {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed = 7
	path := filepath.Join(dir, source)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		files, err := filepath.Glob(filepath.Join(path, "*.csv"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Datasets = files
	} else if !strings.HasPrefix(source, "qa") {
		cfg.Datasets = []string{path}
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs first: releases hung requests
	return &contractSim{Server: s, url: ts.URL + "/v1"}
}

// copyFixture copies a file, or a directory's files, from src to dst.
func copyFixture(t *testing.T, src, dst string) {
	t.Helper()
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		copyFixture(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
