package status

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

const (
	runA = `suite.s.run["native.gsm8k"]["a"]`
	runB = `suite.s.run["native.gsm8k"]["b"]`
	runC = `suite.s.run["native.gsm8k"]["c"]`
)

func writeState(t *testing.T, path string, f *state.File) {
	t.Helper()
	b, err := state.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := state.WriteAtomic(path, b); err != nil {
		t.Fatal(err)
	}
}

func writeRunDir(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rc := `{"selection":{"n":` + strconv.Itoa(n) + `}}`
	if err := os.WriteFile(filepath.Join(dir, rundir.RunConfigFile), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lines(from, to int, errOn int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		if i == errOn {
			b.WriteString(`{"id":"` + strconv.Itoa(i) + `","error":"HTTP 500"}` + "\n")
			continue
		}
		b.WriteString(`{"id":"` + strconv.Itoa(i) + `","error":null}` + "\n")
	}
	return b.String()
}

// TestMonitor follows a simulated apply: the state lock is held by this process, one run is
// running, one finished in this apply and one finished before it; then the apply ends.
func TestMonitor(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "evalplan.state.json")
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	before, started := t0.Add(-time.Hour), t0.Add(-time.Minute)
	h := state.Holder{PID: os.Getpid(), Host: "here", Command: "evalplan apply", Started: started}

	f := state.New("test")
	f.Resources[runA] = &state.Resource{Type: "run", Status: state.StatusRunning, RunDir: "out/a", StartedAt: &started}
	f.Resources[runB] = &state.Resource{Type: "run", Status: state.StatusPartial, RunDir: "out/b", StartedAt: &started, FinishedAt: &t0, Error: "1 sample failed"}
	f.Resources[runC] = &state.Resource{Type: "run", Status: state.StatusComplete, RunDir: "out/c", StartedAt: &before, FinishedAt: &before}
	f.Resources["endpoint.a"] = &state.Resource{Type: "endpoint"}
	writeState(t, statePath, f)
	writeRunDir(t, filepath.Join(dir, "out/a"), 40)
	writeRunDir(t, filepath.Join(dir, "out/b"), 4)
	appendFile(t, filepath.Join(dir, "out/a", rundir.JournalFile), lines(0, 10, 3))
	appendFile(t, filepath.Join(dir, "out/b", rundir.JournalFile), lines(0, 4, 1))

	m := &Monitor{StatePath: statePath, Dir: dir, OutputDir: filepath.Join(dir, "out")}
	got, err := m.Snapshot(t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Holder != nil {
		t.Fatalf("holder %+v before anything locked the state", got.Holder)
	}

	lock, err := state.Acquire(context.Background(), statePath, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()

	got, err = m.Snapshot(t0)
	if err != nil {
		t.Fatal(err)
	}
	want := &Snapshot{Time: t0, Holder: &h, Runs: []Run{
		{Address: runA, Status: "running", RunDir: "out/a", StartedAt: &started, Done: 10, Total: 40, Errors: 1, LastErrors: []string{"3: HTTP 500"}},
		{Address: runB, Status: "partial", RunDir: "out/b", StartedAt: &started, FinishedAt: &t0, Done: 4, Total: 4, Errors: 1, LastErrors: []string{"1: HTTP 500"}, Error: "1 sample failed"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("first snapshot (-want +got):\n%s", diff)
	}

	// Two seconds later, ten more lines: 5 requests/s, 20 samples left → ETA 4s.
	appendFile(t, filepath.Join(dir, "out/a", rundir.JournalFile), lines(10, 20, -1))
	got, err = m.Snapshot(t0.Add(2 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	rate, eta := 5.0, 4.0
	want.Time = t0.Add(2 * time.Second)
	want.Runs[0].Done, want.Runs[0].RequestsPerSecond, want.Runs[0].ETASeconds = 20, &rate, &eta
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("second snapshot (-want +got):\n%s", diff)
	}

	// The apply ends: the run completes and the lock is released.
	done := t0.Add(3 * time.Second)
	f.Resources[runA].Status, f.Resources[runA].FinishedAt = state.StatusComplete, &done
	writeState(t, statePath, f)
	appendFile(t, filepath.Join(dir, "out/a", rundir.JournalFile), lines(20, 40, -1))
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	got, err = m.Snapshot(done)
	if err != nil {
		t.Fatal(err)
	}
	want = &Snapshot{Time: done, Ended: &h, Runs: []Run{
		{Address: runA, Status: "complete", RunDir: "out/a", StartedAt: &started, FinishedAt: &done, Done: 40, Total: 40, Errors: 1, LastErrors: []string{"3: HTTP 500"}},
		want.Runs[1],
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("snapshot after the apply (-want +got):\n%s", diff)
	}
	var b strings.Builder
	if err := WriteSnapshot(&b, got); err != nil {
		t.Fatal(err)
	}
	wantText := `Apply ended: pid ` + strconv.Itoa(h.PID) + ` (evalplan apply) on host here since 2025-01-02T03:03:05Z

suite.s.run["native.gsm8k"]["a"]  complete  40/40 (100%)  1 error(s)
    recent error: 3: HTTP 500

suite.s.run["native.gsm8k"]["b"]  partial  4/4 (100%)  1 error(s)
    error: 1 sample failed
    recent error: 1: HTTP 500
`
	if diff := cmp.Diff(wantText, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

// TestMonitorContainerRun: a running container run has no per-sample journal until it ends;
// the monitor counts its request journal instead (total unknown), errors included.
func TestMonitorContainerRun(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "evalplan.state.json")
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	started := t0.Add(-time.Minute)
	f := state.New("test")
	f.Resources[runA] = &state.Resource{Type: "run", Status: state.StatusRunning, RunDir: "out/a", StartedAt: &started}
	writeState(t, statePath, f)
	if err := os.MkdirAll(filepath.Join(dir, "out/a"), 0o755); err != nil {
		t.Fatal(err)
	}
	reqs := filepath.Join(dir, "out/a", rundir.RequestsFile)
	appendFile(t, reqs, `{"seq":1,"status":200}`+"\n"+`{"seq":2,"status":502,"error":"HTTP 500 after 3 attempts"}`+"\n"+`{"seq":3,"status":200}`+"\n")
	lock, err := state.Acquire(context.Background(), statePath, state.Holder{PID: os.Getpid(), Host: "here", Command: "evalplan apply", Started: started}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	m := &Monitor{StatePath: statePath, Dir: dir, OutputDir: filepath.Join(dir, "out")}
	snap, err := m.Snapshot(t0)
	if err != nil {
		t.Fatal(err)
	}
	var got *Run
	for i := range snap.Runs {
		if snap.Runs[i].Address == runA {
			got = &snap.Runs[i]
		}
	}
	if got == nil {
		t.Fatalf("no run %s in %+v", runA, snap.Runs)
	}
	if got.Done != 3 || got.Errors != 1 || got.Total != 0 {
		t.Errorf("done %d errors %d total %d; want 3, 1, 0 (unknown)", got.Done, got.Errors, got.Total)
	}
	appendFile(t, reqs, `{"seq":4,"status":200}`+"\n")
	if snap, err = m.Snapshot(t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, r := range snap.Runs {
		if r.Address == runA && r.Done != 4 {
			t.Errorf("after one more request: done %d, want 4", r.Done)
		}
	}
}
