package report

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0.3, 1}, {1, 1}, {1.2, 2}, {2.1, 2.5}, {3, 5}, {7.5, 10}, {10, 10}, {11, 20}, {240, 250},
	}
	for _, tt := range tests {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTrimFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.2, "0.2"}, {0.25, "0.25"}, {1, "1"}, {2.5, "2.5"}, {0.001, "0"}, {12.345, "12.35"},
	}
	for _, tt := range tests {
		if got := trimFloat(tt.in); got != tt.want {
			t.Errorf("trimFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEndpointColor(t *testing.T) {
	eps := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
	tests := []struct {
		endpoint, want string
	}{
		{"a", "#4269d0"}, {"b", "#efb118"}, {"k", "#4269d0"}, {"unknown", "#9498a0"},
	}
	for _, tt := range tests {
		if got := endpointColor(eps, tt.endpoint); got != tt.want {
			t.Errorf("endpointColor(%q) = %q, want %q", tt.endpoint, got, tt.want)
		}
	}
}

func TestNewBarChart(t *testing.T) {
	tests := []struct {
		name  string
		runs  []Run
		ticks []string
		bars  []chartBar
	}{
		{
			name:  "scores with and without intervals, and a run without a result",
			runs:  []Run{{Endpoint: "a", Status: "complete", Score: ptr(0.5), CI95: &[2]float64{0.4, 0.6}, N: 10}, {Endpoint: "b", Status: "complete", Score: ptr(1.0), N: 1}, {Endpoint: "c", Status: "failed"}},
			ticks: []string{"0", "0.2", "0.4", "0.6", "0.8", "1"},
			bars: []chartBar{
				{Endpoint: "a", Color: "#4269d0", Status: "complete", Value: "0.500", Whisker: true, Title: "a: 0.500 (n=10), 95% interval [0.400, 0.600]"},
				{Endpoint: "b", Color: "#efb118", Status: "complete", Value: "1.000", Title: "b: 1.000 (n=1)"},
				{Endpoint: "c", Color: "#ff725c", Status: "failed", Missing: true, Title: "c: failed, no result"},
			},
		},
		{
			name:  "a proportion's interval stays within [0, 1], and so does the axis",
			runs:  []Run{proportionRun("a", 19, 20)},
			ticks: []string{"0", "0.2", "0.4", "0.6", "0.8", "1"},
			bars:  []chartBar{{Endpoint: "a", Color: "#4269d0", Status: "complete", Value: "0.950", Whisker: true, Title: "a: 0.950 (n=20), 95% interval [0.764, 0.991]"}},
		},
		{
			name:  "a legacy proportion's normal interval is clamped to 1",
			runs:  []Run{{Endpoint: "a", Status: "complete", Score: ptr(0.95), CI95: &[2]float64{0.85, 1.05}, N: 20, Metrics: map[string]result.Metric{"acc": {Value: 0.95, Interval: result.IntervalWilson}}}},
			ticks: []string{"0", "0.2", "0.4", "0.6", "0.8", "1"},
			bars:  []chartBar{{Endpoint: "a", Color: "#4269d0", Status: "complete", Value: "0.950", Whisker: true, Title: "a: 0.950 (n=20), 95% interval [0.850, 1.050]"}},
		},
		{
			name:  "a score beyond 1 widens the axis",
			runs:  []Run{{Endpoint: "a", Status: "complete", Score: ptr(3.0), CI95: &[2]float64{2.5, 3.5}, N: 4}},
			ticks: []string{"0", "1", "2", "3", "4", "5"},
			bars:  []chartBar{{Endpoint: "a", Color: "#4269d0", Status: "complete", Value: "3.000", Whisker: true, Title: "a: 3.000 (n=4), 95% interval [2.500, 3.500]"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newBarChart(Suite{Endpoints: []string{"a", "b", "c"}}, Benchmark{Name: "bench", Primary: "acc", Runs: tt.runs})
			var ticks []string
			for _, tk := range c.Ticks {
				ticks = append(ticks, tk.Label)
			}
			if diff := cmp.Diff(tt.ticks, ticks); diff != "" {
				t.Errorf("tick labels (-want +got):\n%s", diff)
			}
			geometry := cmpopts.IgnoreFields(chartBar{}, "X", "Y", "W", "H", "CX", "ValueY", "WTop", "WBot")
			if diff := cmp.Diff(tt.bars, c.Bars, geometry); diff != "" {
				t.Errorf("bars (-want +got):\n%s", diff)
			}
			for _, b := range c.Bars {
				if b.X < c.X0 || b.X+b.W > c.X1 || b.Y < c.Y0 || b.Y+b.H > c.Y1+0.001 {
					t.Errorf("bar %s (%v,%v %v×%v) outside the plot area %v..%v × %v..%v", b.Endpoint, b.X, b.Y, b.W, b.H, c.X0, c.X1, c.Y0, c.Y1)
				}
				if b.Whisker && !(b.WTop <= b.Y && b.Y <= b.WBot) {
					t.Errorf("bar %s: top %v outside its whisker %v..%v", b.Endpoint, b.Y, b.WTop, b.WBot)
				}
			}
		})
	}
}

// proportionRun is a run whose primary metric, acc, is k correct of n, summarised as apply
// summarises it.
func proportionRun(endpoint string, k, n int) Run {
	var m result.Mean
	for i := range n {
		m.Add(float64(min(1, max(0, k-i))))
	}
	acc := m.Metric()
	return Run{Endpoint: endpoint, Status: "complete", Score: &acc.Value, Stderr: acc.Stderr, CI95: acc.CI95, N: acc.N, Metrics: map[string]result.Metric{"acc": acc}}
}

func TestNewHistoryChart(t *testing.T) {
	tests := []struct {
		name       string
		history    []Point
		proportion bool
		ok         bool
		lo, hi     string
		points     int
		path       string
	}{
		{name: "no scored result", history: []Point{{Status: "failed"}}},
		{
			name:    "one point sits in the middle; a flat range is widened",
			history: []Point{{Status: "failed"}, {Status: "complete", Score: ptr(0.7), N: 5}},
			ok:      true, lo: "0.65", hi: "0.75", points: 1, path: "M132.0 35.0",
		},
		{
			name: "intervals set the range",
			history: []Point{
				{Status: "complete", Score: ptr(0.5), CI95: &[2]float64{0.3, 0.7}},
				{Status: "complete", Score: ptr(0.6), CI95: &[2]float64{0.4, 0.8}},
			},
			ok: true, lo: "0.30", hi: "0.80", points: 2, path: "M34.0 40.4 L230.0 29.6",
		},
		{
			name: "a proportion's range stays within [0, 1]",
			history: []Point{
				{Status: "complete", Score: ptr(0.95), CI95: &[2]float64{0.85, 1.05}},
				{Status: "complete", Score: ptr(1.0), N: 5},
			},
			proportion: true,
			ok:         true, lo: "0.85", hi: "1.00", points: 2, path: "M34.0 26.0 L230.0 8.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bounds := [2]float64{math.Inf(-1), math.Inf(1)}
			if tt.proportion {
				bounds = [2]float64{0, 1}
			}
			c, ok := newHistoryChart(Run{History: tt.history}, "#000", bounds)
			got := []any{ok, c.Lo, c.Hi, len(c.Points), c.Path}
			want := []any{tt.ok, tt.lo, tt.hi, tt.points, tt.path}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("history chart [ok lo hi points path] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteHTMLEscapes checks that names and errors from state cannot inject markup.
func TestWriteHTMLEscapes(t *testing.T) {
	doc := &Doc{Counts: map[string]int{}, Suites: []Suite{{
		Name: "s", Endpoints: []string{"<b>x</b>"},
		Benchmarks: []Benchmark{{Name: "bench", Runs: []Run{{Endpoint: "<b>x</b>", Status: "failed", Error: `<script>alert(1)</script>`}}}},
	}}}
	var b bytes.Buffer
	if err := WriteHTML(&b, doc); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>alert", "<b>x</b>"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("WriteHTML wrote %q unescaped", bad)
		}
	}
}
