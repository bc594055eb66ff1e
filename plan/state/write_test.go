package state

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteAtomicThroughSymlink: a state file that is a symlink stays a symlink; the
// content lands in its target, and the backup next to the target.
func TestWriteAtomicThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "state.json")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "evalplan.state.json")
	if err := os.Symlink(filepath.Join("real", "state.json"), link); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	got, _ := os.ReadFile(target)
	old, _ := os.ReadFile(BackupPath(target))
	if string(got) != "new" || string(old) != "old" {
		t.Errorf("target %q, backup %q; want new, old", got, old)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v, want 0600 kept", st.Mode().Perm())
	}
}
