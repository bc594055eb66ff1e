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
}

// Defaults of LimitOptions.
const (
	DefaultLimitDecrease = 0.7
	DefaultLimitCooldown = time.Second
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
	return &Limiter{
		limit:         o.Initial,
		min:           o.Min,
		max:           o.Max,
		increaseEvery: o.IncreaseEvery,
		decrease:      o.Decrease,
		cooldown:      o.Cooldown,
		now:           o.Now,
	}
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
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	switch o {
	case OutcomeSuccess:
		l.succeeded()
	case OutcomeOverload:
		l.overloaded()
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
	s.Limit, s.Max = l.limit, l.max
	s.InFlight, s.Waiting = l.inFlight, l.waiters.Len()
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
	if l.limit >= l.max {
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

// Limited is a Doer that holds a slot of Limiter around each call of Next and reports the
// call's Outcome. Place it below Retry (see Stack), so that each attempt takes a slot, a
// backoff wait holds none, and the limiter sees every attempt's error.
type Limited struct {
	Next    Doer
	Limiter *Limiter
}

// Do implements Doer.
func (l *Limited) Do(ctx context.Context, req *Request) (*Response, error) {
	if err := l.Limiter.Acquire(ctx); err != nil {
		return nil, err
	}
	resp, err := l.Next.Do(ctx, req)
	o := Classify(err)
	if err != nil && ctx.Err() != nil {
		// The caller gave up; that says nothing about the server.
		o = OutcomeNeutral
	}
	l.Limiter.Release(o)
	return resp, err
}
