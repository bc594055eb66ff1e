package openai

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// LimitOptions configures a Limiter. Zero fields take their defaults.
type LimitOptions struct {
	// Initial is the starting limit (default Max, or 1 when Max is unset too). The harness
	// starts at the largest parallelism of the runs that share the endpoint.
	Initial int
	// Min is the floor the limit never drops below (default 1).
	Min int
	// Max is the ceiling the limit grows back to (default Initial).
	Max int
	// IncreaseEvery is how many successes raise the limit by one; 0 means the current
	// limit, so the limit grows by about one per round of requests (additive increase).
	IncreaseEvery int
	// Decrease multiplies the limit on an overload signal (default 0.7). The limit always
	// drops by at least one while it is above Min.
	Decrease float64
	// Cooldown is the time after a decrease during which further overload signals are
	// ignored (default 1s): the requests already in flight when the server pushed back
	// would otherwise shrink the limit once each.
	Cooldown time.Duration
	// Now returns the current time (default time.Now); tests inject a fake clock.
	Now func() time.Time

	// Discover makes the limit also steer by latency, to find the server's capacity when
	// the user configured none (see Limiter): it grows while the latency of a round of
	// requests stays within Tolerance of the baseline and settles when it rises.
	Discover bool
	// Tolerance is how much slower than the baseline a round may be before the latency
	// counts as risen (default 1.5, at least 1.1).
	Tolerance float64
	// Slack is added to the tolerated latency, so that a server answering in microseconds
	// is not judged by scheduling noise (default 5ms).
	Slack time.Duration
	// KVTarget is the fraction of the server's KV cache a discovering limiter fills when
	// the server reports its use (Observe; default 0.98).
	KVTarget float64
}

// Defaults of LimitOptions.
const (
	DefaultLimitDecrease = 0.7
	DefaultLimitCooldown = time.Second
	// DefaultLimitTolerance and DefaultLimitSlack are the defaults of Discover's latency test.
	DefaultLimitTolerance = 1.5
	DefaultLimitSlack     = 5 * time.Millisecond
	DefaultLimitKVTarget  = 0.98
	// DiscoverInitial and DiscoverMax are the start and ceiling of a limit that discovers
	// the server's capacity (Limiters.For with no parallelism).
	DiscoverInitial = 32
	DiscoverMax     = 1024
)

// Outcome is what a request told a Limiter about the server's health.
type Outcome int

// Outcomes of a request, as Classify reports them.
const (
	// OutcomeNeutral says nothing about load: a client error (400, 404), a malformed
	// body, a 500, or cancellation by the caller.
	OutcomeNeutral Outcome = iota
	// OutcomeSuccess counts towards growing the limit.
	OutcomeSuccess
	// OutcomeOverload shrinks the limit: 429, 503, 504, a request timeout or a
	// connection failure.
	OutcomeOverload
)

// String implements fmt.Stringer.
func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeOverload:
		return "overload"
	default:
		return "neutral"
	}
}

// Classify maps a request's error to its Outcome: nil is a success; HTTP 429, 503 and
// 504, ErrTimeout, deadline expiry and connection failures (refused, reset, EOF) are
// overload; everything else, cancellation included, is neutral.
func Classify(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeSuccess
	case errors.Is(err, context.Canceled):
		return OutcomeNeutral
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		switch se.Code {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return OutcomeOverload
		}
		return OutcomeNeutral
	}
	if errors.Is(err, ErrMalformed) {
		return OutcomeNeutral
	}
	// What remains retryable is a timeout or a connection failure.
	if Retryable(err) {
		return OutcomeOverload
	}
	return OutcomeNeutral
}

// LimitStats is a snapshot of a Limiter.
type LimitStats struct {
	// Limit is the current concurrency limit; Max its ceiling.
	Limit, Max int
	// InFlight is how many slots are held; Waiting how many callers queue for one.
	InFlight, Waiting int
	// Decreases and Increases count the changes of the limit.
	Decreases, Increases int
	// Peak is the largest InFlight seen.
	Peak int
	// Proven is the most requests a discovering limiter has seen the server answer without
	// queueing within one baseline latency: the evidence its limit grows from.
	Proven int
	// Held is the ceiling memory pressure holds the limit under (Pressure); 0 when none.
	Held int
	// Baseline is the lowest round latency seen by a discovering limiter; SlowStart says it
	// is still doubling its limit per round.
	Baseline  time.Duration
	SlowStart bool
	// Metrics says the server reports its load (Observe); MaxRunning and MaxWaiting are
	// the most requests it reported running and waiting.
	Metrics                bool
	MaxRunning, MaxWaiting float64
}

// Limiter bounds the requests in flight to one endpoint with an adaptive (AIMD) limit:
// an overload signal multiplies the limit by Decrease (at most once per Cooldown), and
// IncreaseEvery successes add one, up to Max. Callers waiting for a slot are served in
// FIFO order. One Limiter is shared by every run against an endpoint (see Limiters); it is
// safe for concurrent use.
type Limiter struct {
	mu            sync.Mutex
	limit         int
	min, max      int
	increaseEvery int
	decrease      float64
	cooldown      time.Duration
	now           func() time.Time

	inFlight     int
	waiters      list.List // of *waiter, oldest first
	successes    int
	decreased    bool
	lastDecrease time.Time
	stats        LimitStats

	// The latency steering of LimitOptions.Discover; see discover.go.
	disc *discovery

	// held is the ceiling while the server's memory is under pressure (Pressure; pressured
	// says an episode is on); 0 when none. listeners hear of the limit changes pressure
	// makes (OnEvent).
	held         int
	pressured    bool
	listeners    map[int]func(LimitEvent)
	nextListener int

	// onQueue, when set (tests), is called with mu held when a caller starts waiting.
	onQueue func()
}

// waiter is one caller queued in Acquire. granted is set, with mu held, when a releasing
// caller hands it a slot; ready is then closed.
type waiter struct {
	ready   chan struct{}
	granted bool
}

// NewLimiter returns a Limiter for o.
func NewLimiter(o LimitOptions) *Limiter {
	if o.Initial <= 0 {
		o.Initial = max(o.Max, 1)
	}
	if o.Max <= 0 {
		o.Max = o.Initial
	}
	if o.Min <= 0 {
		o.Min = 1
	}
	o.Max = max(o.Max, o.Min)
	o.Initial = min(max(o.Initial, o.Min), o.Max)
	if o.Decrease <= 0 || o.Decrease >= 1 {
		o.Decrease = DefaultLimitDecrease
	}
	if o.Cooldown <= 0 {
		o.Cooldown = DefaultLimitCooldown
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &Limiter{
		limit:         o.Initial,
		min:           o.Min,
		max:           o.Max,
		increaseEvery: o.IncreaseEvery,
		decrease:      o.Decrease,
		cooldown:      o.Cooldown,
		now:           o.Now,
	}
	if o.Discover {
		l.disc = newDiscovery(o, l.limit)
	}
	return l
}

// Acquire waits for a slot, in FIFO order with other callers, or until ctx is done. Every
// successful Acquire must be followed by exactly one Release.
func (l *Limiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for a request slot: %w", err)
	}
	l.mu.Lock()
	if l.waiters.Len() == 0 && l.inFlight < l.limit {
		l.take()
		l.mu.Unlock()
		return nil
	}
	w := &waiter{ready: make(chan struct{})}
	e := l.waiters.PushBack(w)
	if l.onQueue != nil {
		l.onQueue()
	}
	l.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w.granted {
		// A slot arrived together with the cancellation: pass it on.
		l.inFlight--
		l.grant()
	} else {
		l.waiters.Remove(e)
	}
	return fmt.Errorf("wait for a request slot: %w", ctx.Err())
}

// Release returns a slot taken by Acquire and adapts the limit to o.
func (l *Limiter) Release(o Outcome) {
	l.ReleaseTimed(o, 0)
}

// ReleaseTimed is Release for a request that took latency (from Acquire's return to its
// answer); a discovering limiter steers by the latencies of successes (see
// LimitOptions.Discover), others ignore it. A latency of 0 means unknown.
func (l *Limiter) ReleaseTimed(o Outcome, latency time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	switch {
	case o == OutcomeSuccess && l.disc != nil && latency > 0:
		l.discovered(latency)
	case o == OutcomeSuccess:
		l.succeeded()
	case o == OutcomeOverload:
		l.overloaded()
		if l.disc != nil {
			// An overload ends slow start; the next round begins at the new limit.
			l.disc.slowStart = false
			l.disc.restart(l.limit, l.now())
		}
	}
	l.grant()
}

// Grow raises the ceiling to n when n is larger, for a run with a larger parallelism.
// A limit that sits at the old ceiling (no backoff in effect) moves up with it; a limit
// that has backed off keeps its value and grows back additively.
func (l *Limiter) Grow(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n <= l.max {
		return
	}
	if l.limit == l.max {
		l.limit = n
		if l.held > 0 {
			l.limit = min(n, l.held)
		}
	}
	l.max = n
	l.grant()
}

// Limit returns the current concurrency limit.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// InFlight returns how many slots are held.
func (l *Limiter) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight
}

// Stats returns a snapshot of the limiter's state and counters.
func (l *Limiter) Stats() LimitStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Limit, s.Max, s.Held = l.limit, l.max, l.held
	s.InFlight, s.Waiting = l.inFlight, l.waiters.Len()
	if l.disc != nil {
		d := l.disc
		s.Baseline, s.SlowStart, s.Proven = d.baseline, d.slowStart, d.proven
		s.Metrics, s.MaxRunning, s.MaxWaiting = d.metrics, d.maxRunning, d.maxWaiting
	}
	return s
}

// take occupies a slot. l.mu is held.
func (l *Limiter) take() {
	l.inFlight++
	l.stats.Peak = max(l.stats.Peak, l.inFlight)
}

// grant hands free slots to the oldest waiters. l.mu is held.
func (l *Limiter) grant() {
	for l.inFlight < l.limit && l.waiters.Len() > 0 {
		w := l.waiters.Remove(l.waiters.Front()).(*waiter)
		w.granted = true
		l.take()
		close(w.ready)
	}
}

// succeeded is the additive increase. l.mu is held.
func (l *Limiter) succeeded() {
	if l.limit >= l.ceiling() {
		l.successes = 0
		return
	}
	l.successes++
	every := l.increaseEvery
	if every <= 0 {
		every = l.limit
	}
	if l.successes >= every {
		l.successes = 0
		l.limit++
		l.stats.Increases++
	}
}

// overloaded is the multiplicative decrease, at most once per cooldown. l.mu is held.
func (l *Limiter) overloaded() {
	// Any overload signal, even one ignored for the cooldown, restarts the count of
	// successes towards the next increase.
	l.successes = 0
	now := l.now()
	if l.decreased && now.Sub(l.lastDecrease) < l.cooldown {
		return
	}
	if l.limit <= l.min {
		return
	}
	n := min(int(float64(l.limit)*l.decrease), l.limit-1)
	l.limit = max(n, l.min)
	l.decreased, l.lastDecrease = true, now
	l.stats.Decreases++
}

// ErrStopped is returned for a request abandoned, before it got a slot, because the
// stop context of WithStop ended.
var ErrStopped = errors.New("request not sent: dispatch stopped while it waited for a slot")

// stopKey is the context key of WithStop.
type stopKey struct{}

// WithStop returns ctx carrying stop: a request through Limited that still waits for a
// slot when stop ends is abandoned with ErrStopped, while one that holds a slot goes on
// under ctx. A run stops dispatching this way (fail-fast) without cutting short the
// requests already at the server.
func WithStop(ctx, stop context.Context) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// Limited is a Doer that holds a slot of Limiter around each call of Next and reports the
// call's Outcome. Place it below Retry (see Stack), so that each attempt takes a slot, a
// backoff wait holds none, and the limiter sees every attempt's error.
type Limited struct {
	Next    Doer
	Limiter *Limiter
}

// Do implements Doer.
func (l *Limited) Do(ctx context.Context, req *Request) (*Response, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	start := l.Limiter.now()
	resp, err := l.Next.Do(ctx, req)
	o := Classify(err)
	if err != nil && ctx.Err() != nil {
		// The caller gave up; that says nothing about the server.
		o = OutcomeNeutral
	}
	l.Limiter.ReleaseTimed(o, l.Limiter.now().Sub(start))
	return resp, err
}

// acquire takes a slot, abandoning the wait with ErrStopped when ctx carries a stop
// context (WithStop) that ends first.
func (l *Limited) acquire(ctx context.Context) error {
	stop, ok := ctx.Value(stopKey{}).(context.Context)
	if !ok {
		return l.Limiter.Acquire(ctx)
	}
	wait, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(stop, cancel)()
	err := l.Limiter.Acquire(wait)
	switch {
	case err != nil && ctx.Err() == nil && stop.Err() != nil:
		return ErrStopped
	case err == nil && stop.Err() != nil:
		// The slot came as dispatch stopped: give it back unused.
		l.Limiter.Release(OutcomeNeutral)
		return ErrStopped
	}
	return err
}
