package result

import (
	"math"
	"testing"
)

func TestMean(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		value  float64
		stderr float64 // -1: nil
		n      int
	}{
		{"empty", nil, 0, -1, 0},
		{"one", []float64{1}, 1, -1, 1},
		{"half of sixty is exactly one half", append(repeat(1, 30), repeat(0, 30)...), 0.5, math.Sqrt(0.25 / 59), 60},
		{"order does not change the value", append(repeat(0, 30), repeat(1, 30)...), 0.5, math.Sqrt(0.25 / 59), 60},
		{"three of four", []float64{1, 0, 1, 1}, 0.75, math.Sqrt(0.75 * 0.25 / 3), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Mean
			for _, x := range tt.scores {
				m.Add(x)
			}
			got := m.Metric()
			if got.Value != tt.value || got.N != tt.n {
				t.Errorf("value, n = %v, %d; want exactly %v, %d", got.Value, got.N, tt.value, tt.n)
			}
			if tt.stderr < 0 {
				if got.Stderr != nil || got.CI95 != nil {
					t.Errorf("stderr/ci95 for n ≤ 1: %v %v, want nil", got.Stderr, got.CI95)
				}
				return
			}
			if got.Stderr == nil || math.Abs(*got.Stderr-tt.stderr) > 1e-12 {
				t.Fatalf("stderr = %v, want %v", got.Stderr, tt.stderr)
			}
			want := Wilson(tt.value, tt.n)
			if *got.CI95 != want || got.Interval != IntervalWilson {
				t.Errorf("ci95 = %v (%q), want the Wilson interval %v", *got.CI95, got.Interval, want)
			}
		})
	}
}

// TestWilson pins the Wilson score interval against published values (Newcombe 1998, Table
// I: 81/263 gives 0.2553–0.3662; 0/10 gives 0–0.2775) and checks it never leaves [0, 1].
func TestWilson(t *testing.T) {
	tests := []struct {
		name   string
		p      float64
		n      int
		lo, hi float64
	}{
		{"81 of 263", 81.0 / 263, 263, 0.2553, 0.3662},
		{"none of ten", 0, 10, 0, 0.2775},
		{"all of ten", 1, 10, 0.7225, 1},
		{"29 of 29", 1, 29, 0.8830, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Wilson(tt.p, tt.n)
			if math.Abs(got[0]-tt.lo) > 5e-5 || math.Abs(got[1]-tt.hi) > 5e-5 {
				t.Errorf("Wilson(%v, %d) = %v, want [%v, %v]", tt.p, tt.n, got, tt.lo, tt.hi)
			}
			if got[0] < 0 || got[1] > 1 {
				t.Errorf("Wilson(%v, %d) = %v leaves [0, 1]", tt.p, tt.n, got)
			}
		})
	}
}

// TestMeanInterval: a proportion near 0 or 1 keeps its interval inside [0, 1] (the normal
// interval of 1 of 20 would start below 0); scores that are not all 0/1 keep the normal
// interval, and so do differences.
func TestMeanInterval(t *testing.T) {
	var p Mean
	for _, x := range append(repeat(0, 19), 1) {
		p.Add(x)
	}
	if m := p.Metric(); m.CI95[0] < 0 || m.CI95[1] > 1 || m.Interval != IntervalWilson {
		t.Errorf("1 of 20: ci95 %v, interval %q; want within [0, 1], wilson", *m.CI95, m.Interval)
	}
	var f Mean
	for _, x := range []float64{0.5, 0.25, 1, 0} {
		f.Add(x)
	}
	if m := f.Metric(); m.Interval != "" || math.Abs(m.CI95[0]-(m.Value-1.96**m.Stderr)) > 1e-12 {
		t.Errorf("fractional scores: ci95 %v, interval %q; want the normal interval", *m.CI95, m.Interval)
	}
	if m := p.Difference(); m.Interval != "" || m.CI95[0] >= 0 {
		t.Errorf("difference: ci95 %v, interval %q; want the normal interval", *m.CI95, m.Interval)
	}
}

func repeat(x float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x
	}
	return out
}

func TestScored(t *testing.T) {
	tests := []struct {
		name string
		r    *Result
		want bool
	}{
		{"nil", nil, false},
		{"no sample scored", &Result{Errors: 3}, false},
		{"one sample scored, score 0", &Result{N: 1}, true},
		{"n unknown", &Result{NUnknown: true, Score: 0.5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Scored(); got != tt.want {
				t.Errorf("Scored() = %v, want %v", got, tt.want)
			}
		})
	}
}
