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
			if lo, hi := got.CI95[0], got.CI95[1]; math.Abs(lo-(tt.value-1.96*tt.stderr)) > 1e-12 || math.Abs(hi-(tt.value+1.96*tt.stderr)) > 1e-12 {
				t.Errorf("ci95 = %v", *got.CI95)
			}
		})
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
