package container

import (
	"context"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCheckWithoutDaemon(t *testing.T) {
	images := []plan.ImageNeed{{Image: "nvcr.io/nvidia/eval-factory/simple-evals:1", Runs: []string{"r"}}}
	tests := []struct {
		name  string
		needs *plan.Needs
		want  []plan.Check
	}{
		{"no container runs", &plan.Needs{}, nil},
		{"images but no daemon", &plan.Needs{Images: images}, []plan.Check{{
			Section: plan.SectionContainers, Name: "docker", Mark: plan.MarkNotReady,
			Fix: "start the Docker daemon (dockerd) or set DOCKER_HOST; container tasks need it",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Environ: []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}}
			got := r.Check(context.Background(), &config.Config{}, tt.needs)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(plan.Check{}, "Detail")); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}
