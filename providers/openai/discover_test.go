package openai

import (
	"context"
	"testing"
	"time"
)

// TestLimiterDiscovers replays synthetic latencies against a discovering limiter with a
// fake clock and checks its decisions after each step.
func TestLimiterDiscovers(t *testing.T) {
	const ms = time.Millisecond
	type step struct {
		every     time.Duration // clock advance before each outcome
		latency   time.Duration // latency of each success; 0 = unknown
		outcome   Outcome       // default OutcomeSuccess
		n         int           // times repeated (default 1)
		limit     int           // limit after the step
		slowStart bool          // still in slow start after the step
	}
	tests := []struct {
		name     string
		opts     LimitOptions
		steps    []step
		baseline time.Duration
	}{
		{
			name: "slow start, exit on slow successes in a row, then rounds",
			opts: LimitOptions{Initial: 16, Max: 1024},
			steps: []step{
				// The first round sets the baseline. Each fast answer is evidence (all
				// came within one latency), and slow start keeps the limit at twice it.
				{latency: 200 * ms, n: 15, limit: 30, slowStart: true},
				{latency: 200 * ms, limit: 32, slowStart: true},
				// 255 ms (1.25 × 200 ms + 5 ms) is still fast in slow start, but queued too
				// long to be evidence (more than 1.125 × 200 ms + 5 ms): no growth.
				{latency: 255 * ms, limit: 32, slowStart: true},
				// Three slower answers in a row may be noise; the fourth ends slow start
				// and halves the limit.
				{latency: 256 * ms, n: 3, limit: 32, slowStart: true},
				{latency: 256 * ms, limit: 16},
				// A round (16 successes) within tolerance (305 ms) adds one.
				{latency: 300 * ms, n: 15, limit: 16},
				{latency: 300 * ms, limit: 17},
				// A slow round of 17 successes in 170 ms: 100/s × 200 ms = 20, × 1.25 = 25.
				{every: 10 * ms, latency: 400 * ms, n: 17, limit: 25},
				// The baseline only falls: a faster round lowers it.
				{latency: 100 * ms, n: 25, limit: 26},
			},
			baseline: 100 * ms,
		},
		{
			name: "slow start grows to twice the evidence only",
			opts: LimitOptions{Initial: 16, Max: 1024},
			steps: []step{
				// Answers 50 ms apart at 200 ms latency: at most 4 within one latency,
				// so the limit stays at the initial window (twice 4 is less).
				{every: 50 * ms, latency: 200 * ms, n: 20, limit: 16, slowStart: true},
				// Ten at once: 4 + 10 answers within 200 ms prove 14, so 28.
				{latency: 200 * ms, n: 10, limit: 28, slowStart: true},
				{latency: 200 * ms, n: 10, limit: 48, slowStart: true},
				// Later answers alone prove less, but the evidence keeps its maximum.
				{every: 300 * ms, latency: 200 * ms, n: 30, limit: 48, slowStart: true},
			},
			baseline: 200 * ms,
		},
		{
			name: "ceiling",
			opts: LimitOptions{Initial: 16, Max: 20},
			steps: []step{
				{latency: 200 * ms, n: 40, limit: 20, slowStart: true},
			},
			baseline: 200 * ms,
		},
		{
			name: "slack keeps a microsecond server growing",
			opts: LimitOptions{Initial: 4, Max: 1024},
			steps: []step{
				{latency: 100 * time.Microsecond, n: 4, limit: 8, slowStart: true},
				{latency: 5 * ms, n: 8, limit: 24, slowStart: true},
			},
			baseline: 100 * time.Microsecond,
		},
		{
			name: "overload decreases and ends slow start",
			opts: LimitOptions{Initial: 16, Max: 1024},
			steps: []step{
				{outcome: OutcomeOverload, limit: 11},
				{latency: 200 * ms, n: 10, limit: 11},
				{latency: 200 * ms, limit: 12},
			},
			baseline: 200 * ms,
		},
		{
			name: "unknown latency falls back to additive increase",
			opts: LimitOptions{Initial: 4, Max: 1024},
			steps: []step{
				{n: 4, limit: 5, slowStart: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1000, 0)}
			o := tt.opts
			o.Now, o.Discover = c.now, true
			l := NewLimiter(o)
			for i, s := range tt.steps {
				out := s.outcome
				if out == OutcomeNeutral {
					out = OutcomeSuccess
				}
				for range max(s.n, 1) {
					c.t = c.t.Add(s.every)
					if err := l.Acquire(context.Background()); err != nil {
						t.Fatal(err)
					}
					l.ReleaseTimed(out, s.latency)
				}
				st := l.Stats()
				if st.Limit != s.limit || st.SlowStart != s.slowStart {
					t.Fatalf("step %d: limit %d, slow start %v; want %d, %v", i, st.Limit, st.SlowStart, s.limit, s.slowStart)
				}
			}
			if got := l.Stats().Baseline; got != tt.baseline {
				t.Errorf("baseline %v, want %v", got, tt.baseline)
			}
		})
	}
}

// TestLimitersDiscover: no parallelism makes a discovering limiter from DiscoverInitial
// to DiscoverMax; a configured one is the start and the ceiling.
func TestLimitersDiscover(t *testing.T) {
	var r Limiters
	d := r.For("a", 0)
	if s := d.Stats(); s.Limit != DiscoverInitial || s.Max != DiscoverMax || !s.SlowStart {
		t.Errorf("no parallelism: %+v", s)
	}
	if r.For("a", 0) != d || d.Stats().Max != DiscoverMax {
		t.Error("second For changed the limiter")
	}
	if s := r.For("b", 64).Stats(); s.Limit != 64 || s.Max != 64 || s.SlowStart {
		t.Errorf("parallelism 64: %+v", s)
	}
}

// TestLimitedWithStop: a request waiting for a slot is abandoned with ErrStopped when the
// stop context ends; one holding a slot is not cut short.
func TestLimitedWithStop(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 1, Max: 1})
	release := make(chan struct{})
	held := make(chan struct{})
	lim := &Limited{Limiter: l, Next: doerFunc(func(ctx context.Context, _ *Request) (*Response, error) {
		close(held)
		<-release
		return &Response{}, ctx.Err()
	})}
	stop, cancel := context.WithCancel(context.Background())
	ctx := WithStop(context.Background(), stop)
	first := make(chan error, 1)
	go func() {
		_, err := lim.Do(ctx, &Request{})
		first <- err
	}()
	<-held
	queued := queueSignal(l)
	second := make(chan error, 1)
	go func() {
		_, err := lim.Do(ctx, &Request{})
		second <- err
	}()
	<-queued
	cancel()
	if err := <-second; err != ErrStopped {
		t.Errorf("waiting request: %v, want ErrStopped", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("request holding a slot: %v, want nil", err)
	}
	if s := l.Stats(); s.InFlight != 0 || s.Waiting != 0 {
		t.Errorf("after: %+v", s)
	}
}
