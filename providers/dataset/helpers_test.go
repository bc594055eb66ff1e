package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func shaOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeFiles writes files (slash-separated path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// recorder is a plan.Progress that records what it is told.
type recorder struct {
	mu    sync.Mutex
	total map[string]int64
	done  map[string]int64
	logs  []string
}

func newRecorder() *recorder {
	return &recorder{total: map[string]int64{}, done: map[string]int64{}}
}

func (r *recorder) Total(addr string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total[addr] = n
}

func (r *recorder) Add(addr string, n, _, _ int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[addr] += n
}

func (r *recorder) Log(addr, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, addr+": "+msg)
}

func (r *recorder) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs, "\n")
}

// listFiles lists the regular files under dir, slash-separated and relative to dir.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
