package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	status := func(code int) error { return fmt.Errorf("POST /chat/completions: %w", &StatusError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want Outcome
	}{
		{"nil", nil, OutcomeSuccess},
		{"429", status(429), OutcomeOverload},
		{"503", status(503), OutcomeOverload},
		{"504", status(504), OutcomeOverload},
		{"500", status(500), OutcomeNeutral},
		{"400", status(400), OutcomeNeutral},
		{"404", status(404), OutcomeNeutral},
		{"client timeout", fmt.Errorf("POST /chat/completions: %w after 1s", ErrTimeout), OutcomeOverload},
		{"deadline", context.DeadlineExceeded, OutcomeOverload},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, OutcomeOverload},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), OutcomeOverload},
		{"unexpected EOF", io.ErrUnexpectedEOF, OutcomeOverload},
		{"malformed", fmt.Errorf("x: %w: no choices", ErrMalformed), OutcomeNeutral},
		{"caller cancel", fmt.Errorf("x: %w", context.Canceled), OutcomeNeutral},
		{"unknown kind", errors.New(`unknown request kind "x"`), OutcomeNeutral},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestNewLimiterDefaults(t *testing.T) {
	tests := []struct {
		name string
		opts LimitOptions
		want LimitStats
	}{
		{"zero", LimitOptions{}, LimitStats{Limit: 1, Max: 1}},
		{"max only", LimitOptions{Max: 16}, LimitStats{Limit: 16, Max: 16}},
		{"initial only", LimitOptions{Initial: 8}, LimitStats{Limit: 8, Max: 8}},
		{"initial below min", LimitOptions{Initial: 2, Min: 4, Max: 10}, LimitStats{Limit: 4, Max: 10}},
		{"initial above max", LimitOptions{Initial: 20, Max: 10}, LimitStats{Limit: 10, Max: 10}},
		{"min above max", LimitOptions{Min: 6, Max: 3}, LimitStats{Limit: 6, Max: 6}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, NewLimiter(tt.opts).Stats()); diff != "" {
			t.Errorf("%s: stats (-want +got):\n%s", tt.name, diff)
		}
	}
}

// clock is a fake time source for cooldowns.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestLimiterAdapts replays outcomes against a limiter and checks the limit after each.
func TestLimiterAdapts(t *testing.T) {
	type step struct {
		after   time.Duration // clock advance before the outcome
		outcome Outcome
		n       int // times the outcome is repeated (default 1)
		limit   int // limit after the step
	}
	tests := []struct {
		name  string
		opts  LimitOptions
		steps []step
		want  LimitStats // counters at the end (Limit, Max, Decreases, Increases)
	}{
		{
			name: "decrease once per cooldown, never below min",
			opts: LimitOptions{Initial: 10, Min: 2, Max: 10, Decrease: 0.5, Cooldown: time.Second},
			steps: []step{
				{outcome: OutcomeOverload, limit: 5},
				{after: 500 * time.Millisecond, outcome: OutcomeOverload, n: 5, limit: 5},
				{after: 500 * time.Millisecond, outcome: OutcomeOverload, limit: 2},
				{after: time.Hour, outcome: OutcomeOverload, limit: 2},
			},
			want: LimitStats{Limit: 2, Max: 10, Decreases: 2},
		},
		{
			name: "default decrease 0.7 drops at least one",
			opts: LimitOptions{Initial: 2, Max: 2},
			steps: []step{
				{outcome: OutcomeOverload, limit: 1},
				{after: time.Hour, outcome: OutcomeOverload, limit: 1},
			},
			want: LimitStats{Limit: 1, Max: 2, Decreases: 1},
		},
		{
			name: "default cooldown is one second",
			opts: LimitOptions{Initial: 100, Max: 100},
			steps: []step{
				{outcome: OutcomeOverload, limit: 70},
				{after: 999 * time.Millisecond, outcome: OutcomeOverload, limit: 70},
				{after: time.Millisecond, outcome: OutcomeOverload, limit: 49},
			},
			want: LimitStats{Limit: 49, Max: 100, Decreases: 2},
		},
		{
			name: "grows by one per limit successes up to max",
			opts: LimitOptions{Initial: 8, Min: 1, Max: 6 + 8, Decrease: 0.5},
			steps: []step{
				{outcome: OutcomeOverload, limit: 4},
				{outcome: OutcomeSuccess, n: 3, limit: 4},
				{outcome: OutcomeSuccess, limit: 5},
				{outcome: OutcomeSuccess, n: 5, limit: 6},
				{outcome: OutcomeSuccess, n: 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13, limit: 14},
				{outcome: OutcomeSuccess, n: 100, limit: 14},
			},
			want: LimitStats{Limit: 14, Max: 14, Decreases: 1, Increases: 10},
		},
		{
			name: "fixed IncreaseEvery",
			opts: LimitOptions{Initial: 4, Max: 4, IncreaseEvery: 2, Decrease: 0.5},
			steps: []step{
				{outcome: OutcomeOverload, limit: 2},
				{outcome: OutcomeSuccess, n: 2, limit: 3},
				{outcome: OutcomeSuccess, n: 2, limit: 4},
			},
			want: LimitStats{Limit: 4, Max: 4, Decreases: 1, Increases: 2},
		},
		{
			name: "overload resets the success count, neutral does nothing",
			opts: LimitOptions{Initial: 4, Max: 8, IncreaseEvery: 3, Decrease: 0.75, Cooldown: time.Second},
			steps: []step{
				{outcome: OutcomeSuccess, n: 2, limit: 4},
				{outcome: OutcomeNeutral, n: 10, limit: 4},
				{outcome: OutcomeOverload, limit: 3},
				{outcome: OutcomeSuccess, n: 2, limit: 3},
				{outcome: OutcomeOverload, limit: 3}, // within cooldown: ignored but resets
				{outcome: OutcomeSuccess, n: 2, limit: 3},
				{outcome: OutcomeSuccess, limit: 4},
			},
			want: LimitStats{Limit: 4, Max: 8, Decreases: 1, Increases: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1000, 0)}
			tt.opts.Now = clk.now
			l := NewLimiter(tt.opts)
			for i, s := range tt.steps {
				clk.t = clk.t.Add(s.after)
				for range max(s.n, 1) {
					if err := l.Acquire(context.Background()); err != nil {
						t.Fatalf("step %d: Acquire: %v", i, err)
					}
					l.Release(s.outcome)
				}
				if got := l.Limit(); got != s.limit {
					t.Errorf("step %d (%v×%d): limit = %d, want %d", i, s.outcome, max(s.n, 1), got, s.limit)
				}
			}
			got := l.Stats()
			got.Peak = 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// queueSignal makes l report each caller that starts waiting on the returned channel.
func queueSignal(l *Limiter) <-chan struct{} {
	ch := make(chan struct{}, 64)
	l.mu.Lock()
	l.onQueue = func() { ch <- struct{}{} }
	l.mu.Unlock()
	return ch
}

func TestLimiterFIFO(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 1})
	queued := queueSignal(l)
	ctx := context.Background()
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	const n = 8
	for i := range n {
		wg.Go(func() {
			if err := l.Acquire(ctx); err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			l.Release(OutcomeNeutral)
		})
		<-queued // waiter i is in the queue before waiter i+1 starts
	}
	l.Release(OutcomeNeutral)
	wg.Wait()
	want := []int{0, 1, 2, 3, 4, 5, 6, 7}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("wake-up order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(LimitStats{Limit: 1, Max: 1, Peak: 1}, l.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestLimiterCancelWhileWaiting(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 1})
	queued := queueSignal(l)
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Acquire(ctx) }()
	<-queued
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}
	if diff := cmp.Diff(LimitStats{Limit: 1, Max: 1, InFlight: 1, Peak: 1}, l.Stats()); diff != "" {
		t.Errorf("stats after cancel (-want +got):\n%s", diff)
	}
	l.Release(OutcomeSuccess)
	if err := l.Acquire(context.Background()); err != nil {
		t.Errorf("Acquire after release: %v", err)
	}
	if err := l.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a done context = %v, want context.Canceled", err)
	}
}

// TestLimiterCancelRacesGrant cancels waiters while slots are handed to them; no slot
// may be lost or doubled.
func TestLimiterCancelRacesGrant(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 2})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%2 == 0 {
				cancel()
			}
			if err := l.Acquire(ctx); err == nil {
				l.Release(OutcomeNeutral)
			}
		})
		if i%3 == 0 {
			wg.Go(func() {
				ctx, cancel := context.WithCancel(context.Background())
				go cancel()
				if err := l.Acquire(ctx); err == nil {
					l.Release(OutcomeNeutral)
				}
			})
		}
	}
	wg.Wait()
	if s := l.Stats(); s.InFlight != 0 || s.Waiting != 0 || s.Peak > 2 {
		t.Errorf("stats = %+v, want nothing in flight or waiting and peak ≤ 2", s)
	}
}

func TestLimiterGrow(t *testing.T) {
	tests := []struct {
		name      string
		backoff   bool
		grow      int
		wantLimit int
		wantMax   int
	}{
		{"at ceiling moves up", false, 16, 16, 16},
		{"smaller keeps", false, 4, 8, 8},
		{"backed off keeps its limit", true, 16, 5, 16},
	}
	for _, tt := range tests {
		l := NewLimiter(LimitOptions{Initial: 8})
		if tt.backoff {
			l.Acquire(context.Background())
			l.Release(OutcomeOverload)
		}
		l.Grow(tt.grow)
		if s := l.Stats(); s.Limit != tt.wantLimit || s.Max != tt.wantMax {
			t.Errorf("%s: limit, max = %d, %d; want %d, %d", tt.name, s.Limit, s.Max, tt.wantLimit, tt.wantMax)
		}
	}
}

func TestLimiterGrowWakesWaiters(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 1})
	queued := queueSignal(l)
	ctx := context.Background()
	l.Acquire(ctx)
	done := make(chan error)
	go func() { done <- l.Acquire(ctx) }()
	<-queued
	l.Grow(2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := l.InFlight(); got != 2 {
		t.Errorf("InFlight = %d, want 2", got)
	}
}

// gauge is a fake Doer that counts the calls in flight and their peak, and fails calls
// chosen by fail.
type gauge struct {
	inFlight, peak, calls atomic.Int64
	fail                  func(n int64) error
	// hold, when set, blocks every call until it is closed.
	hold chan struct{}
	// check, when set, runs inside each call.
	check func()
}

func (g *gauge) Do(ctx context.Context, req *Request) (*Response, error) {
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	call := g.calls.Add(1)
	if g.check != nil {
		g.check()
	}
	if g.hold != nil {
		<-g.hold
	}
	if g.fail != nil {
		if err := g.fail(call); err != nil {
			return nil, err
		}
	}
	return &Response{Text: "ok", Attempts: 1}, nil
}

func TestLimitedNeverExceedsLimit(t *testing.T) {
	tests := []struct {
		name string
		max  int
		fail func(n int64) error
	}{
		{"healthy", 8, nil},
		{"every 7th is 429", 8, func(n int64) error {
			if n%7 == 0 {
				return &StatusError{Code: 429}
			}
			return nil
		}},
		{"limit 1", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(LimitOptions{Initial: tt.max})
			g := &gauge{fail: tt.fail}
			g.check = func() {
				// InFlight counts this call too; the limit may have dropped below it
				// after the call started, but never below Max's bound.
				if n := l.InFlight(); n > tt.max {
					t.Errorf("InFlight = %d > max %d", n, tt.max)
				}
			}
			d := &Limited{Next: g, Limiter: l}
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					for range 50 {
						d.Do(context.Background(), &Request{Model: "m"})
					}
				})
			}
			wg.Wait()
			if p := g.peak.Load(); p > int64(tt.max) || p < 1 {
				t.Errorf("peak in flight = %d, want 1..%d", p, tt.max)
			}
			if s := l.Stats(); s.Peak > tt.max || s.InFlight != 0 || s.Waiting != 0 {
				t.Errorf("stats = %+v", s)
			}
			if got := g.calls.Load(); got != 64*50 {
				t.Errorf("calls = %d, want %d", got, 64*50)
			}
		})
	}
}

// TestLimitedHoldsExcess fills every slot and checks the rest wait rather than call.
func TestLimitedHoldsExcess(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 4})
	queued := queueSignal(l)
	g := &gauge{hold: make(chan struct{})}
	d := &Limited{Next: g, Limiter: l}
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() { d.Do(context.Background(), &Request{Model: "m"}) })
	}
	for range 60 {
		<-queued
	}
	if s := l.Stats(); s.InFlight != 4 || s.Waiting != 60 {
		t.Errorf("InFlight, Waiting = %d, %d; want 4, 60", s.InFlight, s.Waiting)
	}
	close(g.hold)
	wg.Wait()
	if p := g.peak.Load(); p != 4 {
		t.Errorf("peak in flight = %d, want 4", p)
	}
}

func TestLimitedOutcomes(t *testing.T) {
	errBad := fmt.Errorf("POST /chat/completions: %w", &StatusError{Code: 400})
	tests := []struct {
		name       string
		err        error
		cancelled  bool
		wantLimit  int
		wantDecr   int
		wantErrStr string
	}{
		{"success", nil, false, 10, 0, ""},
		{"429 backs off", &StatusError{Code: 429}, false, 7, 1, "server returned HTTP 429 Too Many Requests"},
		{"timeout backs off", fmt.Errorf("POST /chat/completions: %w after 1s", ErrTimeout), false, 7, 1, "POST /chat/completions: request timed out after 1s"},
		{"400 passes through", errBad, false, 10, 0, errBad.Error()},
		{"caller deadline is neutral", context.DeadlineExceeded, true, 10, 0, "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(LimitOptions{Initial: 10})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			next := doerFunc(func(ctx context.Context, req *Request) (*Response, error) {
				if tt.cancelled {
					cancel()
				}
				if tt.err != nil {
					return nil, tt.err
				}
				return &Response{Text: "ok", Attempts: 1}, nil
			})
			resp, err := (&Limited{Next: next, Limiter: l}).Do(ctx, &Request{Model: "m"})
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			} else if resp.Text != "ok" {
				t.Errorf("text = %q", resp.Text)
			}
			if gotErr != tt.wantErrStr {
				t.Errorf("error = %q, want %q", gotErr, tt.wantErrStr)
			}
			if s := l.Stats(); s.Limit != tt.wantLimit || s.Decreases != tt.wantDecr || s.InFlight != 0 {
				t.Errorf("stats = %+v, want limit %d, decreases %d", s, tt.wantLimit, tt.wantDecr)
			}
		})
	}
}

// TestStackRetryTakesSlotPerAttempt checks the stack's order: each attempt holds a slot,
// the backoff wait holds none, and the limiter sees the attempt's 429.
func TestStackRetryTakesSlotPerAttempt(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 4})
	var inFlightDuringSleep []int
	calls := 0
	next := doerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		calls++
		if got := l.InFlight(); got != 1 {
			t.Errorf("attempt %d: InFlight = %d, want 1", calls, got)
		}
		if calls == 1 {
			return nil, &StatusError{Code: 429}
		}
		return &Response{Text: "ok", Attempts: 1}, nil
	})
	d := Stack(next, StackOptions{Limiter: l, MaxRetries: 2})
	r := d.(*Retry)
	r.Sleep = func(ctx context.Context, _ time.Duration) error {
		inFlightDuringSleep = append(inFlightDuringSleep, l.InFlight())
		return nil
	}
	resp, err := d.Do(context.Background(), &Request{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", resp.Attempts)
	}
	if diff := cmp.Diff([]int{0}, inFlightDuringSleep); diff != "" {
		t.Errorf("in flight during backoff (-want +got):\n%s", diff)
	}
	if s := l.Stats(); s.Limit != 2 || s.Decreases != 1 {
		t.Errorf("stats = %+v, want limit 2 after one decrease", s)
	}
}

func TestLimiters(t *testing.T) {
	var r Limiters
	a := r.For("http://a/v1", 8)
	if got := r.For("http://a/v1", 4); got != a {
		t.Error("same key gave a different limiter")
	}
	if got := a.Stats(); got.Limit != 8 || got.Max != 8 {
		t.Errorf("after smaller parallelism: %+v", got)
	}
	r.For("http://a/v1", 32)
	if got := a.Stats(); got.Limit != 32 || got.Max != 32 {
		t.Errorf("after larger parallelism: %+v", got)
	}
	if b := r.For("http://b/v1", 2); b == a || b.Limit() != 2 {
		t.Errorf("other key: same=%v limit=%d", b == a, b.Limit())
	}

	var wg sync.WaitGroup
	got := make([]*Limiter, 16)
	for i := range got {
		wg.Go(func() { got[i] = r.For("http://c/v1", i+1) })
	}
	wg.Wait()
	for i, l := range got {
		if l != got[0] {
			t.Errorf("concurrent For %d gave a different limiter", i)
		}
	}
	if s := got[0].Stats(); s.Max != 16 {
		t.Errorf("concurrent For: max = %d, want 16", s.Max)
	}
}

// doerFunc adapts a function to Doer.
type doerFunc func(ctx context.Context, req *Request) (*Response, error)

func (f doerFunc) Do(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

func BenchmarkLimited(b *testing.B) {
	l := NewLimiter(LimitOptions{Initial: 64})
	d := &Limited{Next: doerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		return &Response{Text: "ok"}, nil
	}), Limiter: l}
	req := &Request{Model: "m"}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Do(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
