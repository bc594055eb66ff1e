package status

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/state"
)

// TestMonitorInterrupted: runs left running by a killed apply (no flock, a stale holder in
// the lock file) are reported as interrupted, not as running.
func TestMonitorInterrupted(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "evalplan.state.json")
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f := state.New("test")
	f.Resources[runA] = &state.Resource{Type: "run", Status: state.StatusRunning, RunDir: "out/a", StartedAt: &t0}
	writeState(t, statePath, f)
	stale := `{"pid":` + strconv.Itoa(os.Getpid()) + `,"host":"here","command":"evalplan apply","started":"2025-01-02T03:04:05Z"}` + "\n"
	if err := os.WriteFile(state.LockPath(statePath), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Monitor{StatePath: statePath, Dir: dir, OutputDir: filepath.Join(dir, "out")}
	got, err := m.Snapshot(t0)
	if err != nil {
		t.Fatal(err)
	}
	want := &Snapshot{Time: t0, Runs: []Run{}, Interrupted: []string{runA}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("snapshot (-want +got):\n%s", diff)
	}
	var b strings.Builder
	if err := WriteSnapshot(&b, got); err != nil {
		t.Fatal(err)
	}
	wantText := "No apply running.\n\n1 run(s) recorded as running were interrupted; 'evalplan apply' resumes them:\n  " + runA + "\n"
	if diff := cmp.Diff(wantText, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

func TestFlockOnInode(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"1: FLOCK  ADVISORY  WRITE 7678 fe:00:860808 0 EOF", true},
		{"1: FLOCK  ADVISORY  WRITE 7678 fe:00:8608080 0 EOF", false},
		{"1: -> FLOCK  ADVISORY  WRITE 7679 fe:00:860808 0 EOF", false},
		{"2: POSIX  ADVISORY  READ 14986 fe:00:860808 128 128", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := flockOnInode(tt.line, "860808"); got != tt.want {
			t.Errorf("flockOnInode(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}
