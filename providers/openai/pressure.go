package openai

import (
	"fmt"
	"time"
)

// LimitEvent is a change of a Limiter's limit that the runs sharing it record: today, the
// limit lowered because the server's GPU memory is under pressure (Pressure).
type LimitEvent struct {
	Time time.Time `json:"time"`
	// From and To are the limit before and after.
	From int `json:"from"`
	To   int `json:"to"`
	// Reason says why, such as "GPU 0 at 97% memory".
	Reason string `json:"reason"`
}

// String is "concurrency lowered 64 → 32: GPU 0 at 97% memory".
func (e LimitEvent) String() string {
	return fmt.Sprintf("concurrency lowered %d → %d: %s", e.From, e.To, e.Reason)
}

// Pressure tells the limiter whether the server's memory is under pressure (on), with the
// reason to record. The onset of pressure halves the limit (never below Min) and holds it
// there: neither successes, latency nor the server's metrics raise it, and further readings
// under the same pressure do not lower it again (memory a server preallocates does not
// shrink with concurrency, so halving per reading would only run the limit down to Min),
// until Pressure(false) ends the episode and lifts the hold. A lowering is returned (ok
// true) and told to the listeners (OnEvent).
func (l *Limiter) Pressure(on bool, reason string) (ev LimitEvent, ok bool) {
	l.mu.Lock()
	if !on {
		l.held, l.pressured = 0, false
		l.grant()
		l.mu.Unlock()
		return LimitEvent{}, false
	}
	now := l.now()
	if l.pressured || l.limit <= l.min {
		if l.held == 0 {
			l.held = l.limit
		}
		l.pressured = true
		l.mu.Unlock()
		return LimitEvent{}, false
	}
	ev = LimitEvent{Time: now, From: l.limit, To: max(l.limit/2, l.min), Reason: reason}
	l.limit, l.held, l.pressured = ev.To, ev.To, true
	l.stats.Decreases++
	if l.disc != nil {
		// Memory pressure ends slow start as an overload does.
		l.disc.slowStart = false
		l.disc.restart(l.limit, now)
	}
	fns := make([]func(LimitEvent), 0, len(l.listeners))
	for _, f := range l.listeners {
		fns = append(fns, f)
	}
	l.mu.Unlock()
	for _, f := range fns {
		f(ev)
	}
	return ev, true
}

// OnEvent makes f hear of every LimitEvent of the limiter until the returned function is
// called. f runs on the goroutine that caused the event and must not block.
func (l *Limiter) OnEvent(f func(LimitEvent)) (cancel func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.listeners == nil {
		l.listeners = map[int]func(LimitEvent){}
	}
	id := l.nextListener
	l.nextListener++
	l.listeners[id] = f
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.listeners, id)
	}
}

// Pressure passes memory pressure to the limiter of key (see Limiter.Pressure); a key with
// no limiter (no run has used the endpoint yet) is ignored.
func (r *Limiters) Pressure(key string, on bool, reason string) (LimitEvent, bool) {
	r.mu.Lock()
	l := r.m[key]
	r.mu.Unlock()
	if l == nil {
		return LimitEvent{}, false
	}
	return l.Pressure(on, reason)
}

// Metered reports whether the limiter of key steers by the server's metrics (it has
// received them): then the KV-cache use already bounds it, and a rising memory trend is no
// reason to lower it.
func (r *Limiters) Metered(key string) bool {
	r.mu.Lock()
	l := r.m[key]
	r.mu.Unlock()
	return l != nil && l.Stats().Metrics
}
