package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
)

// TestRuntimesDir: a venv run's environment is under the shared_dir of the cluster
// executor the run goes to (the suite's, or its benchmark block's), else under cache_dir.
func TestRuntimesDir(t *testing.T) {
	cfg := &config.Config{
		Executors: map[string]*config.Executor{"slurm.a": {SharedDir: "/shared/a"}, "slurm.b": {SharedDir: "/shared/b"}},
		Suites: map[string]*config.Suite{
			"local": {Overrides: map[string]*config.Override{"simple_evals.mmlu": {Executor: "slurm.b"}}},
			"onA": {Executor: "slurm.a", Overrides: map[string]*config.Override{
				"mmlu":                        {Executor: "slurm.b"}, // by the task's name
				"lm-evaluation-harness.gsm8k": {Name: "lm-evaluation-harness.gsm8k"},
			}},
		},
	}
	task := func(name string) *schema.Task { return &schema.Task{Name: name} }
	tests := []struct {
		suite, benchmark string
		task             *schema.Task
		want             string
	}{
		{"local", "lm-evaluation-harness.gsm8k", task("gsm8k"), "/cache/runtimes"},
		{"local", "simple_evals.mmlu", task("mmlu"), "/shared/b/runtimes"},
		{"onA", "lm-evaluation-harness.gsm8k", task("gsm8k"), "/shared/a/runtimes"},
		{"onA", "simple_evals.mmlu", task("mmlu"), "/shared/b/runtimes"},
		{"nosuch", "simple_evals.mmlu", task("mmlu"), "/cache/runtimes"},
	}
	for _, tt := range tests {
		got := runtimesDir(cfg, &plan.RunSpec{Suite: tt.suite, Benchmark: tt.benchmark, Task: tt.task, CacheDir: "/cache"})
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.suite, tt.benchmark, d)
		}
	}
}
