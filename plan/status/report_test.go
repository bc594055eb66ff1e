package status

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/state"
)

func TestSummarize(t *testing.T) {
	t1 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	f := state.New("test")
	f.Serial = 7
	f.Resources["a"] = &state.Resource{Type: "run", Status: state.StatusComplete, StartedAt: &t1, FinishedAt: &t1}
	f.Resources["b"] = &state.Resource{Type: "run", Status: state.StatusComplete}
	f.Resources["c"] = &state.Resource{Type: "run", Status: state.StatusPartial}
	f.Resources["d"] = &state.Resource{Type: "run", Status: state.StatusFailed, FinishedAt: &t2}
	f.Resources["e"] = &state.Resource{Type: "run", Status: state.StatusRunning, StartedAt: &t1}
	f.Resources["endpoint.x"] = &state.Resource{Type: "endpoint"}
	got := Summarize(f, true)
	want := StateSummary{Exists: true, Serial: 7, Runs: 5, Complete: 2, Partial: 1, Failed: 1, Running: 1, LastApply: &t2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if got, want := DescribeState(got), "serial 7, 5 run(s): 2 complete, 1 partial, 1 failed, 1 running; last apply 2025-01-02T04:04:05Z"; got != want {
		t.Errorf("DescribeState = %q, want %q", got, want)
	}
	if got, want := DescribeState(Summarize(state.New("test"), false)), "no state file yet (the first apply creates it)"; got != want {
		t.Errorf("DescribeState(new) = %q, want %q", got, want)
	}
}

func TestReport(t *testing.T) {
	tests := []struct {
		name      string
		checks    []Check
		wantReady bool
		wantText  string
	}{
		{
			name:      "empty",
			wantReady: true,
			wantText:  "\nReady: everything this configuration needs is available.\n",
		},
		{
			name: "sections in order, fixes under not-ready lines",
			checks: []Check{
				{Section: SectionState, Name: "lock", Mark: Ready, Detail: "free"},
				{Section: SectionEndpoints, Name: "endpoint.a", Mark: NotReady, Detail: "cannot reach it", Fix: "start it"},
				{Section: SectionEndpoints, Name: "endpoint.b", Mark: Ready, Detail: "reachable"},
				{Section: SectionGPU, Name: "gpu", Mark: Info, Detail: "not needed", Fix: "never shown"},
			},
			wantText: `Endpoints
  ✗ endpoint.a: cannot reach it
      → start it
  ✓ endpoint.b: reachable

GPU
  – gpu: not needed

State
  ✓ lock: free

Not ready: 1 problem(s) above (marked ✗).
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReport()
			for _, c := range tt.checks {
				r.Add(c)
			}
			if r.Ready != tt.wantReady {
				t.Errorf("Ready = %v, want %v", r.Ready, tt.wantReady)
			}
			var b strings.Builder
			if err := r.WriteText(&b, false); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantText, b.String()); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		})
	}
}
