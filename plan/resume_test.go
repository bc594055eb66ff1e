package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

// TestResumeReasonFollowsRunner: only a runner that resumes from its journal may promise
// that only missing or errored samples are requested; a container run starts over.
func TestResumeReasonFollowsRunner(t *testing.T) {
	for _, tc := range []struct {
		name      string
		resumable bool
		replays   bool
		want      string
	}{
		{"native", true, false, "only missing or errored samples will be requested"},
		{"container", false, true, "requests an earlier attempt got answered are replayed from its request journal, only the rest go to the model"},
		{"starts over", false, false, "will be run again from the start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &PlannedRun{Addr: addrs.Run{Suite: "s", Benchmark: "b", Endpoint: "e"}, Identity: "id", Plan: RunPlan{Resumable: tc.resumable, Replays: tc.replays}}
			for _, st := range []state.Status{state.StatusPartial, state.StatusRunning} {
				a := decide(nil, &state.Resource{Type: "run", Identity: "id", Status: st}, r, Options{}, nil)
				if a.Action != ActionResume || !strings.HasSuffix(a.Reason, tc.want) {
					t.Errorf("%s: %s %q, want resume ending %q", st, a.Action, a.Reason, tc.want)
				}
				if !tc.resumable && strings.Contains(a.Reason, "only missing") {
					t.Errorf("%s: a run that cannot resume promises %q", st, a.Reason)
				}
			}
		})
	}
}

// TestResumeCountsReplayedRequests: a replaying run's plan line says how many answered
// requests its request journal holds.
func TestResumeCountsReplayedRequests(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{Dir: dir, Settings: config.Settings{OutputDir: filepath.Join(dir, "output")}}
	runDir := filepath.Join(dir, "output", "s", "b", "e", "id")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	journal := `{"seq":1,"status":200}` + "\n" + `{"seq":2,"status":502,"error":"x"}` + "\n" + `{"seq":3,"status":200}` + "\n"
	if err := os.WriteFile(filepath.Join(runDir, rundir.RequestsFile), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &PlannedRun{Addr: addrs.Run{Suite: "s", Benchmark: "b", Endpoint: "e"}, Identity: "id", Plan: RunPlan{Replays: true}}
	a := decide(cfg, &state.Resource{Type: "run", Identity: "id", Status: state.StatusRunning, RunDir: "output/s/b/e/id"}, r, Options{}, nil)
	if !strings.HasSuffix(a.Reason, "(2 answered request(s) recorded)") {
		t.Errorf("reason %q, want it to count the 2 answered requests", a.Reason)
	}
}
