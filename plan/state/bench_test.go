package state

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan/result"
)

// BenchmarkStoreUpdate measures one persisted change of a state with 1,600 completed runs,
// the per-node cost of an apply of that size.
func BenchmarkStoreUpdate(b *testing.B) {
	f := New("0.1.0")
	se := 0.01
	for i := range 1600 {
		f.Resources[fmt.Sprintf(`suite.s.run["b%04d"]["e%d"]`, i/4, i%4)] = &Resource{
			Type: "run", Identity: fmt.Sprintf("sha256:%064d", i), Status: StatusComplete,
			RunDir: fmt.Sprintf(".evalplan/runs/%d", i),
			Inputs: map[string]any{"model": "m", "params": map[string]any{"temperature": 0.0, "max_tokens": 512}},
			Result: &result.Result{Score: 0.5, Primary: "acc", N: 1000,
				Metrics: map[string]result.Metric{"acc": {Value: 0.5, Stderr: &se, CI95: &[2]float64{0.48, 0.52}, N: 1000}}},
		}
	}
	s := NewStore(filepath.Join(b.TempDir(), "s.json"), f)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Update(func(f *File) { f.Resources[`suite.s.run["b0000"]["e0"]`].Error = fmt.Sprint(i) }); err != nil {
			b.Fatal(err)
		}
	}
}
