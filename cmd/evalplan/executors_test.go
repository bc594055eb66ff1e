package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/evalplan/evalplan/plan/config"
	bcontainer "github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/schema"
)

// TestPlainVars: the variables a job's spec carries to the node are the non-sensitive ones
// with a value, strings as they are and other types as JSON, sorted by name.
func TestPlainVars(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]*config.Variable
		want []config.VarArg
	}{
		{"none", nil, nil},
		{"types", map[string]*config.Variable{
			"url":    {Value: cty.StringVal("http://h:1/v1")},
			"port":   {Value: cty.NumberIntVal(2222)},
			"on":     {Value: cty.True},
			"models": {Value: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal(`b"c`)})},
		}, []config.VarArg{
			{Name: "models", Value: `["a","b\"c"]`}, {Name: "on", Value: "true"},
			{Name: "port", Value: "2222"}, {Name: "url", Value: "http://h:1/v1"},
		}},
		{"sensitive and null left out", map[string]*config.Variable{
			"key":  {Sensitive: true, Value: cty.StringVal("sk-secret")},
			"none": {Value: cty.NullVal(cty.String)},
			"url":  {Value: cty.StringVal("u")},
		}, []config.VarArg{{Name: "url", Value: "u"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := plainVars(&config.Config{Variables: tc.vars})
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("vars (-want +got):\n%s", d)
			}
		})
	}
}

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
		got := bcontainer.RunRuntimesDir(cfg, tt.suite, tt.benchmark, tt.task.Name, "/cache")
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.suite, tt.benchmark, d)
		}
	}
}
