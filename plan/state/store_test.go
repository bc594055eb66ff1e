package state

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestStoreUpdateSerial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s := NewStore(path, New("0.1.0"))
	lineage := s.Snapshot().Lineage
	steps := []struct {
		name       string
		fn         func(f *File)
		wantSerial int64
		// wantBackup is the serial the backup holds; -1 when there is none.
		wantBackup int64
	}{
		{"no change on a new file writes nothing", func(f *File) {}, 0, -1},
		{"first change writes serial 1", func(f *File) {
			f.Resources["endpoint.a"] = &Resource{Type: "endpoint", Identity: "i1"}
		}, 1, -1},
		{"same content again", func(f *File) {
			f.Resources["endpoint.a"] = &Resource{Type: "endpoint", Identity: "i1"}
		}, 1, -1},
		{"a change bumps", func(f *File) { f.Resources["endpoint.a"].Identity = "i2" }, 2, 1},
		{"touching only the serial is no change", func(f *File) { f.Serial = 1000 }, 2, 1},
		{"output added", func(f *File) { f.Outputs["x"] = Output{Value: "v"} }, 3, 2},
		{"outputs removed", func(f *File) { f.Outputs = nil }, 4, 3},
		{"nil map vs empty map is no change", func(f *File) { f.Outputs = map[string]Output{}; f.Resources["endpoint.a"].Compare = map[string]any{} }, 4, 3},
	}
	for _, st := range steps {
		if err := s.Update(st.fn); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		snap := s.Snapshot()
		if snap.Serial != st.wantSerial {
			t.Errorf("%s: serial = %d, want %d", st.name, snap.Serial, st.wantSerial)
		}
		onDisk, err := Load(path)
		switch {
		case st.wantSerial == 0:
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: state file written (err %v)", st.name, err)
			}
		case err != nil:
			t.Fatalf("%s: %v", st.name, err)
		default:
			if diff := cmp.Diff(snap, onDisk, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: file differs from snapshot (-snap +file):\n%s", st.name, diff)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(raw)); diff != "" {
				t.Errorf("%s: file is not Marshal(snapshot) (-want +got):\n%s", st.name, diff)
			}
			if onDisk.Lineage != lineage {
				t.Errorf("%s: lineage changed", st.name)
			}
		}
		backup, err := Load(BackupPath(path))
		switch {
		case st.wantBackup < 0:
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: backup exists (err %v)", st.name, err)
			}
		case err != nil:
			t.Fatalf("%s: %v", st.name, err)
		case backup.Serial != st.wantBackup:
			t.Errorf("%s: backup serial = %d, want %d", st.name, backup.Serial, st.wantBackup)
		}
	}
}

func TestStoreBackupHoldsPreviousBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s := NewStore(path, New("0.1.0"))
	var prev []byte
	for i := range 3 {
		if err := s.Update(func(f *File) {
			f.Resources[fmt.Sprintf("dataset.d%d", i)] = &Resource{Type: "dataset", Identity: "x"}
		}); err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			backup, err := os.ReadFile(BackupPath(path))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(prev), string(backup)); diff != "" {
				t.Errorf("update %d: backup is not the previous file (-want +got):\n%s", i, diff)
			}
		}
		var err error
		if prev, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStoreConcurrentUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s := NewStore(path, New("0.1.0"))
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			addr := fmt.Sprintf("endpoint.e%02d", i)
			if err := s.Update(func(f *File) {
				f.Resources[addr] = &Resource{Type: "endpoint", Identity: "x"}
			}); err != nil {
				t.Error(err)
			}
			// Update returned: the change is on disk, whoever wrote it.
			if got, err := Load(path); err != nil || got.Resources[addr] == nil {
				t.Errorf("after Update of %s returned the file lacks it (%v)", addr, err)
			}
			_ = s.Snapshot()
		})
	}
	wg.Wait()
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Concurrent updates share writes (group commit): one serial per write, not per update.
	if w := s.Writes(); got.Serial != int64(w) || w < 1 || w > n || len(got.Resources) != n {
		t.Errorf("serial %d after %d writes, %d resources; want serial = writes in 1..%d and %d resources", got.Serial, w, len(got.Resources), n, n)
	}
}

func TestStoreSnapshotIsACopy(t *testing.T) {
	f := New("0.1.0")
	s := NewStore(filepath.Join(t.TempDir(), "s.json"), f)
	f.Resources["endpoint.a"] = &Resource{} // NewStore took a copy
	snap := s.Snapshot()
	snap.Resources["endpoint.b"] = &Resource{}
	if got := len(s.Snapshot().Resources); got != 0 {
		t.Errorf("store has %d resources, want 0", got)
	}
}

func TestStoreWriteFailureKeepsChange(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "notadir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewStore(filepath.Join(blocker, "s.json"), New("0.1.0"))
	add := func(f *File) { f.Resources["endpoint.a"] = &Resource{Type: "endpoint"} }
	if err := s.Update(add); err == nil {
		t.Fatal("Update succeeded writing below a file")
	}
	snap := s.Snapshot()
	if snap.Serial != 0 || snap.Resources["endpoint.a"] == nil {
		t.Errorf("after failed write: serial %d, resource kept %v; want 0, true", snap.Serial, snap.Resources["endpoint.a"] != nil)
	}
	// The unsaved change is retried by the next Update, even one that changes nothing.
	if err := s.Update(func(*File) {}); err == nil {
		t.Error("no-op Update after a failed write did not try to write")
	}
}

// TestCrashSafety kills a process that keeps rewriting the state and checks what is left.
func TestCrashSafety(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	orig := New("0.1.0")
	data, err := Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(path, data); err != nil {
		t.Fatal(err)
	}
	const k = 40
	cmd, _, out := startHelper(t, "crash", path)
	for done := 0; done < k; {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("helper stopped after %d writes: %v", done, err)
		}
		fmt.Sscanf(line, "wrote %d", &done)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, p := range []string{path, BackupPath(path)} {
		got, err := Load(p)
		if err != nil {
			t.Fatalf("after SIGKILL: %v", err)
		}
		if got.Lineage != orig.Lineage {
			t.Errorf("%s: lineage %q, want %q", p, got.Lineage, orig.Lineage)
		}
		if p == path && (len(got.Resources) < k || got.Serial < k) {
			t.Errorf("%s: %d resources, serial %d; want at least %d", p, len(got.Resources), got.Serial, k)
		}
	}
}

// crashHelper rewrites the state at path with a growing number of resources, reporting
// each completed write on stdout, until it is killed.
func crashHelper(path string) error {
	f, err := Load(path)
	if err != nil {
		return err
	}
	s := NewStore(path, f)
	w := bufio.NewWriter(os.Stdout)
	for i := range 100000 {
		if err := s.Update(func(f *File) {
			f.Resources[fmt.Sprintf(`suite.s.run["b%05d"]["e"]`, i)] = &Resource{
				Type: "run", Identity: strings.Repeat("x", 64), Status: StatusRunning,
				Inputs: map[string]any{"payload": strings.Repeat("y", 1024)},
			}
		}); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %d\n", i+1)
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// TestEncoderMatchesMarshal checks that the store's incremental encoding is byte for byte
// Marshal's, across changes that reuse, change, add and remove cached resources.
func TestEncoderMatchesMarshal(t *testing.T) {
	f := New("0.1.0")
	var e encoder
	check := func(step string) {
		t.Helper()
		want, err := contentBytes(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.content(f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-Marshal +encoder):\n%s", step, diff)
		}
	}
	check("empty")
	f.Outputs["o"] = Output{Value: map[string]any{"b": 1.5, "a": []any{"<&>", nil}}}
	for i := range 5 {
		f.Resources[fmt.Sprintf(`suite.s.run["b<%d>"]["e"]`, i)] = &Resource{Type: "run", Identity: "x", Inputs: map[string]any{"z": 1e21, "a": "é\u2028"}}
	}
	check("five")
	f.Resources[`suite.s.run["b<1>"]["e"]`].Status = StatusComplete
	delete(f.Resources, `suite.s.run["b<2>"]["e"]`)
	f.Resources["endpoint.a"] = &Resource{Type: "endpoint", Compare: map[string]any{"n": map[string]any{"y": 2.0, "x": []any{}}}}
	check("changed")
	f.Resources = map[string]*Resource{}
	check("emptied")
}

// TestStoreUpdateSoon: a change made with UpdateSoon reaches the disk without another
// Update (the scheduled write) and Flush waits for it.
func TestStoreUpdateSoon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s := NewStore(path, New("0.1.0"))
	s.UpdateSoon(func(f *File) { f.Resources["endpoint.a"] = &Resource{Type: "endpoint"} })
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(FlushDelay / 4) {
		if got, err := Load(path); err == nil && got.Resources["endpoint.a"] != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a change made with UpdateSoon was never written")
		}
	}
	s.UpdateSoon(func(f *File) { f.Resources["endpoint.b"] = &Resource{Type: "endpoint"} })
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || got.Resources["endpoint.b"] == nil {
		t.Fatalf("after Flush the file lacks the change (%v)", err)
	}
}
