package state

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/result"
)

// liveHeap is the heap still in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestStoreMemory: what a Store keeps besides its copy of the state stays below the size
// of the file it writes. An apply records every run it carries out, so anything more per
// run (the file's bytes kept to compare the next write with, each resource's plain
// encoding kept in the encoder's cache) grows the apply's memory with every finished run:
// 2,000 Slurm runs grew it by tens of megabytes.
func TestStoreMemory(t *testing.T) {
	f := New("0.1.0")
	at := time.Date(2026, 12, 5, 11, 50, 0, 0, time.UTC)
	for i := range 2000 {
		addr := fmt.Sprintf(`suite.many.run["task.t%04d"]["sim"]`, i)
		f.Resources[addr] = &Resource{
			Type: "run", Identity: fmt.Sprintf("%064d", i), Status: StatusComplete, Job: fmt.Sprintf("6331_%d", i),
			RunDir: fmt.Sprintf("output/many/task.t%04d/sim/%012d", i, i), StartedAt: &at, FinishedAt: &at,
			Inputs: map[string]any{
				"benchmark": map[string]any{"harness": "native", "name": fmt.Sprintf("task.t%04d", i), "task": fmt.Sprintf("t%04d", i)},
				"dataset":   fmt.Sprintf("%064d", 0),
				"endpoint":  map[string]any{"model": "sim-model", "type": "chat"},
				"params":    map[string]any{"limit_samples": 1.0, "sample": "first", "seed": 0.0, "temperature": nil},
			},
			Result: &result.Result{Primary: "exact_match", N: 1, Metrics: map[string]result.Metric{"exact_match": {N: 1}}},
		}
	}
	path := filepath.Join(t.TempDir(), "s.json")

	before := liveHeap()
	own := f.Clone() // the store's copy of the state, which it must keep
	withState := liveHeap()
	s := NewStore(path, f)
	if err := s.Update(func(f *File) { f.Resources[`suite.many.run["task.t0000"]["sim"]`].Status = StatusFailed }); err != nil {
		t.Fatal(err)
	}
	withStore := liveHeap()
	runtime.KeepAlive(f)
	runtime.KeepAlive(own)
	runtime.KeepAlive(s)

	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	state := int64(withState - before)
	extra := int64(withStore-withState) - state // beyond the store's copy of the state
	t.Logf("file %d KB, state in memory %d KB, the store's extra %d KB", st.Size()>>10, state>>10, extra>>10)
	if extra > st.Size()*3/2 {
		t.Errorf("the store keeps %d KB besides the state (%d KB in memory), more than 1.5 times the file it writes (%d KB)", extra>>10, state>>10, st.Size()>>10)
	}

	// A write allocates the file's bytes and each resource's plain encoding (about three
	// times the file in all), dropped as it goes, but no copy of the state, which is twice
	// the file again: one on every write would grow with every run too.
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if err := s.Update(func(f *File) { f.Resources[`suite.many.run["task.t0001"]["sim"]`].Status = StatusFailed }); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&m1)
	alloc := int64(m1.TotalAlloc - m0.TotalAlloc)
	t.Logf("a write allocates %d KB", alloc>>10)
	if alloc > st.Size()*4 && !raceEnabled {
		t.Errorf("a write allocates %d KB, more than 4 times the file it writes (%d KB)", alloc>>10, st.Size()>>10)
	}
}
