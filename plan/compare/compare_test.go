package compare

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func ptr[T any](v T) *T { return &v }

func ok(scores ...float64) []Sample {
	out := make([]Sample, len(scores))
	for i, s := range scores {
		out[i] = Sample{Score: map[string]float64{"acc": s}}
	}
	return out
}

func byID(samples []Sample) map[string]Sample {
	m := map[string]Sample{}
	for i, s := range samples {
		m[string(rune('a'+i))] = s
	}
	return m
}

func TestPaired(t *testing.T) {
	se := math.Sqrt(0.7) / math.Sqrt(5)
	tests := []struct {
		name       string
		newS, base map[string]Sample
		want       *Comparison
	}{
		{
			name: "identical runs",
			newS: byID(ok(1, 0, 1)), base: byID(ok(1, 0, 1)),
			want: &Comparison{Stat: Stat{Diff: 0, Stderr: ptr(0.0), CI95: &[2]float64{0, 0}, N: 3}},
		},
		{
			name: "new always right",
			newS: byID(ok(1, 1, 1, 1)), base: byID(ok(0, 0, 0, 0)),
			want: &Comparison{Stat: Stat{Diff: 1, Stderr: ptr(0.0), CI95: &[2]float64{1, 1}, N: 4, Significant: true}},
		},
		{
			name: "mixed differences",
			newS: byID(ok(1, 0, 0, 0, 1)), base: byID(ok(0, 0, 0, 1, 0)),
			want: &Comparison{Stat: Stat{Diff: 0.2, Stderr: &se, CI95: &[2]float64{0.2 - 1.96*se, 0.2 + 1.96*se}, N: 5}},
		},
		{
			name: "one sample has no interval",
			newS: byID(ok(1)), base: byID(ok(0)),
			want: &Comparison{Stat: Stat{Diff: 1, N: 1}},
		},
		{
			name: "errors and unmatched samples are excluded and counted",
			newS: map[string]Sample{"a": ok(1)[0], "b": {Errored: true}, "c": ok(1)[0], "d": {Errored: true}, "e": ok(1)[0]},
			base: map[string]Sample{"a": ok(0)[0], "b": ok(0)[0], "c": {Errored: true}, "d": {Errored: true}, "f": ok(1)[0], "g": ok(1)[0]},
			want: &Comparison{
				Stat:     Stat{Diff: 1, N: 1},
				Excluded: Excluded{Errored: 3, ErroredNew: 2, ErroredBase: 2, Unmatched: 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Paired(tt.newS, tt.base, "acc")
			tt.want.Metric = "acc"
			tt.want.Metrics = map[string]Stat{"acc": tt.want.Stat}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("Paired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPairedSecondaryMetric(t *testing.T) {
	newS := map[string]Sample{"1": {Score: map[string]float64{"flex": 1, "strict": 0}}, "2": {Score: map[string]float64{"flex": 1, "strict": 1}}}
	base := map[string]Sample{"1": {Score: map[string]float64{"flex": 0, "strict": 0}}, "2": {Score: map[string]float64{"flex": 1}}}
	got := Paired(newS, base, "flex")
	if got.Metrics["strict"].N != 1 || got.Metrics["flex"].N != 2 || got.Diff != 0.5 {
		t.Errorf("Paired = %+v; want flex over 2 samples (diff 0.5) and strict over the 1 both scored", got)
	}
}

func TestReadRun(t *testing.T) {
	dir := t.TempDir()
	lines := `{"id":"1","score":{"acc":0},"error":null}
{"id":"2","score":{},"error":"HTTP 500"}
{"id":"1","score":{"acc":1},"error":null}
not json
{"id":"3","score":{"acc":1},"error":null}
{"id":"2","score":{"acc":1},"err`
	if err := os.WriteFile(filepath.Join(dir, rundir.JournalFile), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Sample{
		"1": {Score: map[string]float64{"acc": 1}},
		"2": {Score: map[string]float64{}, Errored: true},
		"3": {Score: map[string]float64{"acc": 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadRun (-want +got):\n%s", diff)
	}
	missing, err := ReadRun(filepath.Join(dir, "nope"))
	if err != nil || len(missing) != 0 {
		t.Errorf("ReadRun(missing) = %v, %v; want no samples, no error", missing, err)
	}
	if _, err := Runs(dir, filepath.Join(dir, "nope"), "acc"); err == nil {
		t.Error("Runs with a missing journal: want ErrNoSamples")
	}
	c, err := Runs(dir, dir, "acc")
	if err != nil || c.N != 2 || c.Excluded.Errored != 1 {
		t.Errorf("Runs(dir, dir) = %+v, %v; want n=2 with 1 errored", c, err)
	}
}
