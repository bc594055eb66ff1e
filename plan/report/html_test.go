package report

import (
	"bytes"
	"strings"
	"testing"

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
			name:  "a score beyond 1 widens the axis",
			runs:  []Run{{Endpoint: "a", Status: "complete", Score: ptr(3.0), CI95: &[2]float64{2.5, 3.5}, N: 4}},
			ticks: []string{"0", "1", "2", "3", "4", "5"},
			bars:  []chartBar{{Endpoint: "a", Color: "#4269d0", Status: "complete", Value: "3.000", Whisker: true, Title: "a: 3.000 (n=4), 95% interval [2.500, 3.500]"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newBarChart(Suite{Endpoints: []string{"a", "b", "c"}}, Benchmark{Name: "bench", Runs: tt.runs})
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

func TestNewHistoryChart(t *testing.T) {
	tests := []struct {
		name    string
		history []Point
		ok      bool
		lo, hi  string
		points  int
		path    string
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := newHistoryChart(Run{History: tt.history}, "#000")
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
