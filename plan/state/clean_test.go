package state

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAcquireCleansInterruptedWrites: taking the lock removes the temporary files a killed
// WriteAtomic of this state left, and nothing else.
func TestAcquireCleansInterruptedWrites(t *testing.T) {
	old, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tests := []struct {
		name  string
		file  string
		mtime time.Time
		kept  bool
	}{
		{name: "new content", file: ".evalplan.state.json.tmp-123456", mtime: old},
		{name: "backup being made", file: ".evalplan.state.json.backup-987", mtime: old},
		{name: "written after the lock was taken", file: ".evalplan.state.json.tmp-555", mtime: future, kept: true},
		{name: "another state's temporary file", file: ".other.state.json.tmp-123", mtime: old, kept: true},
		{name: "the pattern's bare prefix", file: ".evalplan.state.json.tmp-", mtime: old, kept: true},
		{name: "the state", file: "evalplan.state.json", mtime: old, kept: true},
		{name: "its backup", file: "evalplan.state.json.backup", mtime: old, kept: true},
		{name: "a user's file", file: "evalplan.state.json.tmp-notes", mtime: old, kept: true},
	}
	dir := t.TempDir()
	want := []string{"evalplan.state.json.lock"}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.file)
		if err := os.WriteFile(p, []byte(tt.name), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, tt.mtime, tt.mtime); err != nil {
			t.Fatal(err)
		}
		if tt.kept {
			want = append(want, tt.file)
		}
	}
	l, err := Acquire(context.Background(), filepath.Join(dir, "evalplan.state.json"), CurrentHolder("evalplan apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after Acquire (-want +got):\n%s", diff)
	}
}
