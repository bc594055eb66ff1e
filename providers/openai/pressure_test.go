package openai

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLimiterPressure: the onset of memory pressure halves the limit once and holds it
// (successes, metrics, Grow and more readings under pressure change nothing) until lifted;
// each lowering reaches the listeners.
func TestLimiterPressure(t *testing.T) {
	type step struct {
		after     time.Duration
		pressure  *bool // nil: no pressure call
		successes int
		metrics   *ServerMetrics
		grow      int
		limit     int
		lowered   bool
	}
	on, off := true, false
	tests := []struct {
		name   string
		opts   LimitOptions
		steps  []step
		events []string
	}{
		{
			name: "fixed limit",
			opts: LimitOptions{Initial: 64, Max: 64, IncreaseEvery: 1},
			steps: []step{
				{pressure: &on, limit: 32, lowered: true},
				// The same episode: held, not lowered again.
				{pressure: &on, successes: 10, limit: 32},
				{grow: 128, limit: 32},
				{after: 10 * time.Second, pressure: &on, limit: 32},
				{pressure: &off, successes: 3, limit: 35},
				// A new episode lowers it again.
				{pressure: &on, limit: 17, lowered: true},
			},
			events: []string{"concurrency lowered 64 → 32: GPU 0 at 97% memory", "concurrency lowered 35 → 17: GPU 0 at 97% memory"},
		},
		{
			name: "discovering limiter, metrics would raise it",
			opts: LimitOptions{Initial: 16, Max: 1024, Discover: true},
			steps: []step{
				{pressure: &on, limit: 8, lowered: true},
				// The KV cache says 98 sequences fit, 8 of them another client's (none
				// in flight here): 90, but the hold wins.
				{metrics: &ServerMetrics{Running: 8, KVUsage: 0.08, Preemptions: -1}, limit: 8},
				{pressure: &off, metrics: &ServerMetrics{Running: 8, KVUsage: 0.08, Preemptions: -1}, limit: 90},
			},
			events: []string{"concurrency lowered 16 → 8: GPU 0 at 97% memory"},
		},
		{
			name: "at the floor nothing is lowered",
			opts: LimitOptions{Initial: 1, Max: 4},
			steps: []step{
				{pressure: &on, limit: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1000, 0)}
			tt.opts.Now = clk.now
			l := NewLimiter(tt.opts)
			var heard []string
			defer l.OnEvent(func(e LimitEvent) { heard = append(heard, e.String()) })()
			for i, s := range tt.steps {
				clk.t = clk.t.Add(s.after)
				if s.pressure != nil {
					_, lowered := l.Pressure(*s.pressure, "GPU 0 at 97% memory")
					if lowered != s.lowered {
						t.Errorf("step %d: lowered %v, want %v", i, lowered, s.lowered)
					}
				}
				for range s.successes {
					if err := l.Acquire(context.Background()); err != nil {
						t.Fatal(err)
					}
					l.Release(OutcomeSuccess)
				}
				if s.metrics != nil {
					l.Observe(*s.metrics)
				}
				if s.grow > 0 {
					l.Grow(s.grow)
				}
				if got := l.Limit(); got != s.limit {
					t.Fatalf("step %d: limit %d, want %d", i, got, s.limit)
				}
			}
			if diff := cmp.Diff(tt.events, heard); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLimitersPressure: pressure reaches the limiter of a key; an unknown key is ignored.
func TestLimitersPressure(t *testing.T) {
	var r Limiters
	l := r.For("ep http://x/v1", 40)
	if _, ok := r.Pressure("other", true, "x"); ok {
		t.Error("pressure on an unknown key lowered something")
	}
	ev, ok := r.Pressure("ep http://x/v1", true, "GPU 1 at 98% memory")
	if !ok || ev.From != 40 || ev.To != 20 || l.Limit() != 20 {
		t.Errorf("pressure: %+v, %v; limit %d", ev, ok, l.Limit())
	}
	if r.Metered("ep http://x/v1") {
		t.Error("a limiter without metrics reads as metered")
	}
}
