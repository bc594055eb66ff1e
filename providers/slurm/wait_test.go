package slurm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// scriptedRunner answers squeue with a fixed listing and records every command.
type scriptedRunner struct {
	mu      sync.Mutex
	squeue  string
	handled [][]string
}

func (r *scriptedRunner) Run(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handled = append(r.handled, append([]string{name}, args...))
	if name == "squeue" {
		return []byte(r.squeue), nil, nil
	}
	return nil, nil, nil
}

func (r *scriptedRunner) Close() error { return nil }

// TestWaitNeverSatisfied: a job pending on a dependency that can never be satisfied (its
// server job ended first) is cancelled instead of waited for forever; other pending jobs
// are waited for.
func TestWaitNeverSatisfied(t *testing.T) {
	r := &scriptedRunner{squeue: "41|PENDING|DependencyNeverSatisfied\n42|PENDING|Dependency\n43|RUNNING|None\n"}
	x := &Executor{Config: &config.Executor{PollInterval: time.Hour}, Runner: r}
	st, err := x.wait(context.Background(), "41", "suite.s.run[\"b\"][\"m\"]", plan.NopProgress{})
	if err != nil || st != stateNeverRuns {
		t.Fatalf("wait = %q, %v; want %s", st, err, stateNeverRuns)
	}
	want := [][]string{{"squeue", "--me", "-h", "-r", "-o", "%i|%T|%r"}, {"scancel", "41"}}
	if d := cmp.Diff(want, r.handled); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	for id, want := range map[string]string{"42": "PENDING", "43": "RUNNING"} {
		st, ok, err := x.queued(context.Background(), id)
		if err != nil || !ok || st != want {
			t.Errorf("job %s: %q, %v, %v; want %s", id, st, ok, err, want)
		}
	}
	if !terminal(stateNeverRuns) || strings.Contains(stateNeverRuns, " ") {
		t.Errorf("%s must be terminal and one word", stateNeverRuns)
	}
}
