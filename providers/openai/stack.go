package openai

import (
	"context"
	"sync"
	"time"
)

// StackOptions selects the layers Stack puts around a client. Nil or zero parts are left
// out.
type StackOptions struct {
	// Cache, when set, answers repeated requests; Namespace is the endpoint's canonical
	// fingerprint JSON that keys its entries.
	Cache     *Cache
	Namespace []byte
	// Limiter, when set, bounds the attempts in flight to the endpoint.
	Limiter *Limiter
	// MaxRetries > 0 adds Retry with backoff bounds RetryBase and RetryMax (0: Retry's
	// defaults).
	MaxRetries          int
	RetryBase, RetryMax time.Duration
	// OnWait is Retry.OnWait: it hears of every wait before a retry.
	OnWait func(d time.Duration, err error)
}

// Stack returns client wrapped, from the outside in, as Cache → Retry → Limited → client:
//
//   - the cache is outermost, so a hit costs no slot and no retry, and only the final
//     successful response is stored;
//   - the limiter is innermost, below Retry, so each attempt takes its own slot, a backoff
//     wait (which may last a Retry-After of minutes) holds none, and the limiter sees every
//     attempt's 429 or timeout the moment it happens.
func Stack(client Doer, o StackOptions) Doer {
	d := client
	if o.Limiter != nil {
		d = &Limited{Next: d, Limiter: o.Limiter}
	}
	if o.MaxRetries > 0 {
		d = &Retry{Next: d, MaxRetries: o.MaxRetries, Base: o.RetryBase, Max: o.RetryMax, OnWait: o.OnWait}
	}
	if o.Cache != nil {
		d = &Cached{Next: d, Cache: o.Cache, Namespace: o.Namespace}
	}
	return d
}

// Limiters holds one Limiter per endpoint, so that every run against an endpoint shares
// it. The zero value is ready to use and safe for concurrent use.
type Limiters struct {
	// Options is the template of new limiters; For sets Initial and Max from the
	// parallelism. Set it before the first call of For.
	Options LimitOptions

	// WatchInterval is how often Watch reads an endpoint's metrics (default
	// DefaultWatchInterval).
	WatchInterval time.Duration

	mu       sync.Mutex
	m        map[string]*Limiter
	watchers map[string]*watcher
}

// For returns the limiter of key, creating it with limit and ceiling parallelism, or
// growing an existing one to parallelism (see Limiter.Grow): the limit starts at the
// largest parallelism of the runs that share it. A parallelism of 0 (none configured)
// makes a new limiter discover the server's capacity (LimitOptions.Discover), starting at
// DiscoverInitial with the ceiling DiscoverMax; it leaves an existing one as it is.
func (r *Limiters) For(key string, parallelism int) *Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.m[key]; ok {
		l.Grow(parallelism)
		return l
	}
	o := r.Options
	o.Initial, o.Max = parallelism, parallelism
	if parallelism <= 0 {
		o.Initial, o.Max, o.Discover = DiscoverInitial, DiscoverMax, true
	}
	l := NewLimiter(o)
	if r.m == nil {
		r.m = make(map[string]*Limiter)
	}
	r.m[key] = l
	return l
}

// Watch feeds the limiter of key (made by For) with the metrics the server serves at
// metricsURL, read every WatchInterval by one goroutine per key, while at least one caller
// watches: the returned function ends this caller's watch. A server without metrics is
// given up on after three answers.
func (r *Limiters) Watch(key, metricsURL string) (unwatch func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.m[key]
	if l == nil || metricsURL == "" {
		return func() {}
	}
	w := r.watchers[key]
	if w == nil {
		ctx, cancel := context.WithCancel(context.Background())
		w = &watcher{stop: cancel}
		if r.watchers == nil {
			r.watchers = make(map[string]*watcher)
		}
		r.watchers[key] = w
		interval := r.WatchInterval
		if interval <= 0 {
			interval = DefaultWatchInterval
		}
		go watch(ctx, l, metricsURL, interval)
	}
	w.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if w.users--; w.users == 0 {
				w.stop()
				delete(r.watchers, key)
			}
		})
	}
}
