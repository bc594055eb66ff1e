package container_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/schema"
)

// fakeEvaluator is a stand-in nemo-evaluator: it records its environment, arguments and
// process record (waiting for evalplan to write it, just after the start), copies the
// results fixture into the run config's output_dir, or sleeps (SLEEP=1).
const fakeEvaluator = `#!/bin/sh
cfg=$3
out=$(sed -n 's/^ *output_dir: *//p' "$cfg")
env | sort > "$out/env.txt"
for i in $(seq 200); do [ -s "$out/.evalplan-process.json" ] && break; sleep 0.02; done
cat "$out/.evalplan-process.json" > "$out/record.txt"
echo "$@" > "$out/args.txt"
if [ -n "$SLEEP" ]; then trap 'echo got TERM; exit 143' TERM; sleep 30 & wait; fi
cp "$FIXTURE" "$out/results.yml"
echo fake evaluator done
`

// fakeVenv is a venv runtime environment whose nemo-evaluator is fakeEvaluator.
func fakeVenv(t *testing.T) *runtime.Env {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "nemo-evaluator"), []byte(fakeEvaluator), 0o755); err != nil {
		t.Fatal(err)
	}
	return &runtime.Env{Dir: dir, Lock: "fake"}
}

func venvRun(t *testing.T, env map[string]string, timeout *float64) (*plan.RunSpec, *plan.Outcome) {
	t.Helper()
	catalog, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	task, _ := catalog.Get("simple_evals.mmlu")
	fixture, _ := filepath.Abs("testdata/simple_evals.mmlu.results.yml")
	venv := fakeVenv(t)
	_, url := simulator(t, 1, "model-a")
	suite := &config.Suite{Name: "s", Runtime: config.RuntimeVenv, Overrides: map[string]*config.Override{}}
	suite.Env = map[string]string{"FIXTURE": fixture}
	for k, v := range env {
		suite.Env[k] = v
	}
	cfg := &config.Config{Dir: t.TempDir(), Suites: map[string]*config.Suite{"s": suite}}
	r := &container.Runner{Config: cfg, StopGrace: 2 * time.Second, Environ: []string{"HOME=/home/x", "SECRET_HOST_VAR=leak"},
		Venv: func(context.Context, *plan.RunSpec, []string, func(string)) (*runtime.Env, error) { return venv, nil }}
	sp := &plan.RunSpec{
		Address: `suite.s.run["simple_evals.mmlu"]["sim"]`, Suite: "s", Benchmark: "simple_evals.mmlu", Task: task,
		Endpoint: &config.Endpoint{Name: "sim", Model: "model-a", Type: "chat", URL: url, APIKey: "real-key"},
		Params:   config.Params{LimitSamples: ptr(2.0), Timeout: timeout},
		Identity: "id", RunDir: filepath.Join(t.TempDir(), "run"),
	}
	out, err := r.Run(context.Background(), sp, &logs{})
	if err != nil {
		t.Fatal(err)
	}
	return sp, out
}

// A venv run gets the container contract: its run directory as output_dir, the local
// endpoint's token (never the real key), an adapter port, telemetry off, the suite's env and
// none of evalplan's other variables; results are parsed as a container run's.
func TestVenvRunContract(t *testing.T) {
	sp, out := venvRun(t, nil, nil)
	if out.Status != state.StatusComplete {
		t.Fatalf("status %s: %s", out.Status, out.Error)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(sp.RunDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if rec := read("record.txt"); !strings.Contains(rec, `"start_time":`) || !strings.Contains(rec, `"run_dir":"`+sp.RunDir+`"`) {
		t.Errorf("while the evaluator ran, the run directory recorded its process as %q", rec)
	}
	env := read("env.txt")
	for _, want := range []string{"NEMO_EVALUATOR_TELEMETRY_LEVEL=0", "ADAPTER_PORT=", "EVALPLAN_API_KEY=", "HOME=/home/x", "FIXTURE="} {
		if !strings.Contains(env, want) {
			t.Errorf("the evaluator's environment lacks %s:\n%s", want, env)
		}
	}
	for _, bad := range []string{"real-key", "SECRET_HOST_VAR"} {
		if strings.Contains(env, bad) {
			t.Errorf("the evaluator's environment holds %s", bad)
		}
	}
	if rc := read(rundir.ContainerConfigFile); !strings.Contains(rc, "output_dir: "+sp.RunDir) || !strings.Contains(rc, "type: simple_evals.mmlu") {
		t.Errorf("run_config.yml:\n%s", rc)
	}
	if log := read(rundir.ContainerLogFile); !strings.Contains(log, "venv:sha256:fake") || !strings.Contains(log, "fake evaluator done") {
		t.Errorf("container.log:\n%s", log)
	}
	if out.Result == nil || len(out.Result.Metrics) == 0 {
		t.Errorf("no metrics parsed: %+v", out.Result)
	}
	// The record of the evaluator's process group lives only while it runs.
	if _, err := os.Stat(filepath.Join(sp.RunDir, ".evalplan-process.json")); !os.IsNotExist(err) {
		t.Errorf("the process record outlives the process: %v", err)
	}
}

// A venv run past its timeout gets SIGTERM and fails as timed out.
func TestVenvRunTimeout(t *testing.T) {
	start := time.Now()
	sp, out := venvRun(t, map[string]string{"SLEEP": "1"}, ptr(1.0))
	if out.Status != state.StatusFailed || !strings.Contains(out.Error, "timed out") || strings.Contains(out.Error, "the container") {
		t.Fatalf("status %s: %s", out.Status, out.Error)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the run took %s", d)
	}
	if log, _ := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerLogFile)); !strings.Contains(string(log), "got TERM") {
		t.Errorf("the evaluator did not get SIGTERM:\n%s", log)
	}
}
