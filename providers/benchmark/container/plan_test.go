package container_test

import (
	"context"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// TestPlanRunNotes: every container run's note says its harness runtime and why, with its
// image or its packages; a group task whose harness applies limit_samples per subtask also
// says how many samples it really runs; a container run replays answered requests.
func TestPlanRunNotes(t *testing.T) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	two := 2.0
	const (
		lmEvalImage = "nvcr.io/nvidia/eval-factory/lm-evaluation-harness@sha256:9593456f94a4"
		simpleImage = "nvcr.io/nvidia/eval-factory/simple-evals@sha256:9a7c36ea625e"
		simplePkgs  = "nemo-evaluator==0.2.8,nvidia-eval-commons==1.0.5,nvidia-simple-evals==26.3"
		customImage = "reg.example/h@sha256:0123456789012345678901234567890123456789012345678901234567890123"
		venvPending = " in a managed Python environment, not prepared yet: apply prepares it (or evalplan runtimes prepare), then knows the run's identity"
	)
	tests := []struct {
		name          string
		task          string
		suiteRuntime  string
		override      *config.Override
		want, wantErr string
	}{
		{name: "group", task: "lm-evaluation-harness.mmlu",
			want: "runtime docker (the default): " + lmEvalImage + "; limit_samples applies to each of its 57 subtasks: 2 × 57 = 114 samples (requests)"},
		{name: "default", task: "lm-evaluation-harness.gsm8k", want: "runtime docker (the default): " + lmEvalImage},
		{name: "suite docker", task: "simple_evals.mmlu", suiteRuntime: "docker",
			want: `runtime docker (suite "s" sets runtime = "docker"): ` + simpleImage},
		{name: "suite venv", task: "simple_evals.mmlu", suiteRuntime: "venv",
			want: `runtime venv (suite "s" sets runtime = "venv"): ` + simplePkgs + venvPending},
		{name: "benchmark venv", task: "simple_evals.mmlu", override: &config.Override{Name: "mmlu", Runtime: "venv"},
			want: `runtime venv (benchmark "mmlu" sets runtime = "venv"): ` + simplePkgs + venvPending},
		{name: "benchmark docker over suite venv", task: "simple_evals.mmlu", suiteRuntime: "venv", override: &config.Override{Name: "simple_evals.mmlu", Runtime: "docker"},
			want: `runtime docker (benchmark "simple_evals.mmlu" sets runtime = "docker"): ` + simpleImage},
		{name: "image", task: "simple_evals.mmlu", override: &config.Override{Name: "simple_evals.mmlu", Image: customImage},
			want: `runtime docker (the default): image ` + customImage + `, set by benchmark "simple_evals.mmlu"`},
		{name: "no package", task: "nemo_skills.ns_aime2024", suiteRuntime: "venv",
			wantErr: `the nemo_skills harness has no Python packages for runtime = "venv" (NVIDIA publishes no package of its NeMo Skills harness); set runtime = "docker" for nemo_skills.ns_aime2024`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, ok := cat.Get(tt.task)
			if !ok {
				t.Fatalf("%s not in the catalog", tt.task)
			}
			cfg := &config.Config{Suites: map[string]*config.Suite{"s": {Name: "s", Runtime: tt.suiteRuntime}}}
			cfg.Settings.CacheDir = t.TempDir() // no prepared environment
			rp, err := (&container.Runner{}).PlanRun(context.Background(), &plan.RunRequest{
				Addr: addrs.Run{Suite: "s", Benchmark: tt.task, Endpoint: "e"}, Task: task,
				Config: cfg, Override: tt.override, Params: config.Params{LimitSamples: &two},
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rp.Note); diff != "" {
				t.Errorf("note (-want +got):\n%s", diff)
			}
			if !rp.Replays {
				t.Error("a container run replays answered requests")
			}
		})
	}
}
