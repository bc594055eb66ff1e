package container_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/schema"
)

// TestNeMoRealHarnessesInVenv runs NVIDIA's real evaluator packages through the venv runtime
// (the venv that .ci/services.d/75-nemo-runtime.sh prepares: nemo-evaluator 0.2.8,
// nvidia-simple-evals and nvidia-lm-eval 26.3), offline with a host datasets cache, against
// the simulator, with the same checks as TestNeMoRealHarnesses: evalplan records the
// harness's own headline and n, every request went through evalplan's local endpoint, and
// the run directory holds what a container run's does.
func TestNeMoRealHarnessesInVenv(t *testing.T) {
	venv := containertest.Env(t, "EVALPLAN_TEST_NEMO_RUNTIME_VENV")
	hf := containertest.Env(t, "EVALPLAN_TEST_NEMO_HF_CACHE")
	catalog, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		benchmark string
		endpoint  string
		route     string
		limit     float64
		samples   int
	}{
		{"simple_evals.mmlu", "chat", sim.RouteChat, 8, 8},
		{"lm-evaluation-harness.gsm8k", "completions", sim.RouteCompletions, 8, 8},
		{"lm-evaluation-harness.mmlu", "completions", sim.RouteCompletions, 1, 57},
	}
	for _, tt := range tests {
		t.Run(tt.benchmark, func(t *testing.T) {
			task, ok := catalog.Get(tt.benchmark)
			if !ok {
				t.Fatalf("%s is not in the catalog", tt.benchmark)
			}
			s, url := simulator(t, 1, "model-a")
			sp := &plan.RunSpec{
				Address: fmt.Sprintf(`suite.s.run[%q]["sim"]`, tt.benchmark), Suite: "s", Benchmark: tt.benchmark,
				Task:     task,
				Endpoint: &config.Endpoint{Name: "sim", Model: "model-a", Type: tt.endpoint, URL: url, APIKey: "test-key"},
				Params: config.Params{LimitSamples: ptr(tt.limit), Temperature: ptr(0.0), Parallelism: ptr(4),
					MaxNewTokens: ptr(256)},
				Identity: containertest.RepoName(t), RunDir: filepath.Join(t.TempDir(), "run"),
			}
			suite := &config.Suite{Name: "s", Runtime: config.RuntimeVenv, Overrides: map[string]*config.Override{}}
			suite.Env = map[string]string{"HF_DATASETS_CACHE": hf, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
			cfg := &config.Config{Dir: t.TempDir(), Suites: map[string]*config.Suite{"s": suite}}
			cfg.Settings.CacheDir = t.TempDir() // no prepared environment: the identity waits for it
			var gotPkgs []string
			r := &container.Runner{Config: cfg, Venv: func(_ context.Context, _ *plan.RunSpec, pkgs []string, _ func(string)) (*runtime.Env, error) {
				gotPkgs = pkgs
				return &runtime.Env{Dir: venv, Packages: pkgs, Lock: "test"}, nil
			}}
			rp, err := r.PlanRun(context.Background(), &plan.RunRequest{Task: task, Config: cfg, Params: sp.Params, Addr: addrs.Run{Suite: "s", Benchmark: tt.benchmark, Endpoint: "sim"}})
			if want := "venv:" + strings.Join(task.Packages, ","); err != nil || rp.PendingRuntime != want || rp.Runtime != "" || rp.Image != "" || rp.Pull != "" {
				t.Fatalf("PlanRun = %+v, %v; want the identity to wait for %s, and nothing to pull", rp, err, want)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			progress := &logs{}
			if id, err := r.PrepareRuntime(ctx, sp, progress); err != nil || id != "venv:sha256:test" {
				t.Fatalf("PrepareRuntime = %q, %v; want the environment's identity", id, err)
			}
			start := time.Now()
			out, err := r.Run(ctx, sp, progress)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: venv run took %s", tt.benchmark, time.Since(start).Round(time.Millisecond))
			keepRun(t, sp.RunDir, "venv-"+tt.benchmark)
			logText, _ := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerLogFile))
			if out.Status != state.StatusComplete {
				t.Fatalf("status %s: %s\nprogress:\n%s\ncontainer.log:\n%s", out.Status, out.Error, progress.text(), logText)
			}
			if !slices.Contains(gotPkgs, "nemo-evaluator==0.2.8") {
				t.Errorf("the environment was asked for %v, want nemo-evaluator==0.2.8 among them", gotPkgs)
			}
			if bytes.Contains(logText, []byte("test-key")) {
				t.Error("container.log shows the endpoint's API key")
			}
			if got := s.Count(tt.route); got < int64(tt.samples) {
				t.Errorf("the simulator got %d requests on %s, want at least %d", got, tt.route, tt.samples)
			}
			if j, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.RequestsFile)); err != nil || int64(bytes.Count(j, []byte("\n"))) != s.Count(tt.route) {
				t.Errorf("%s: %d lines for %d requests (%v)", rundir.RequestsFile, bytes.Count(j, []byte("\n")), s.Count(tt.route), err)
			}
			b, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			where, want := headline(t, b, task.Task)
			res := out.Result
			got := make([]string, 0, len(res.Metrics))
			for name := range res.Metrics {
				got = append(got, name)
			}
			sort.Strings(got)
			if names := keys(want); !slices.Equal(got, names) {
				t.Errorf("evalplan recorded the metrics %v, want those of %s: %v", got, where, names)
			}
			if v, ok := want[res.Primary]; !ok || res.Score != v {
				t.Errorf("evalplan recorded score %v (%s), want %s's %s = %v", res.Score, res.Primary, where, res.Primary, v)
			}
			if res.N != tt.samples || res.NUnknown {
				t.Errorf("evalplan recorded n = %d (unknown %v), want the %d samples the harness scored", res.N, res.NUnknown, tt.samples)
			}
			checkJournal(t, sp.RunDir, task.Harness, res.Primary, res.Score, tt.samples)
			// The run config in the run directory is evalplan's: output_dir the run directory.
			rc, _ := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerConfigFile))
			if !bytes.Contains(rc, []byte("output_dir: "+sp.RunDir)) {
				t.Errorf("run_config.yml does not name the run directory as output_dir:\n%s", rc)
			}
		})
	}
}
