package container_test

import (
	"context"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// TestPlanRunNotes: a group task whose harness applies limit_samples per subtask says how
// many samples it really runs; a container run replays answered requests; other tasks have
// no note.
func TestPlanRunNotes(t *testing.T) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	two := 2.0
	tests := []struct {
		task string
		want string
	}{
		{"lm-evaluation-harness.mmlu", "limit_samples applies to each of its 57 subtasks: 2 × 57 = 114 samples (requests)"},
		{"lm-evaluation-harness.gsm8k", ""},
		{"simple_evals.mmlu", ""},
	}
	for _, tt := range tests {
		task, ok := cat.Get(tt.task)
		if !ok {
			t.Fatalf("%s not in the catalog", tt.task)
		}
		rp, err := (&container.Runner{}).PlanRun(context.Background(), &plan.RunRequest{Task: task, Params: config.Params{LimitSamples: &two}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, rp.Note); diff != "" {
			t.Errorf("%s note (-want +got):\n%s", tt.task, diff)
		}
		if !rp.Replays {
			t.Errorf("%s: a container run replays answered requests", tt.task)
		}
	}
}
