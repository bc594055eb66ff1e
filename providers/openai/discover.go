package openai

import (
	"math"
	"time"
)

// discovery is the latency steering of a Limiter made with LimitOptions.Discover, after
// TCP Vegas and the gradient limiters of Netflix's concurrency-limits: the server's
// capacity is the concurrency past which requests start to queue, and queueing shows as
// latency above the baseline (the fastest round seen).
//
//   - Evidence: the most successes that came back unqueued (within a quarter of the
//     tolerance of the baseline, plus the slack) within one round trip (the fastest
//     latency seen) — what the server was seen to serve at once, its delivery rate times
//     its round trip, as BBR estimates a path's capacity. The limit never grows past twice
//     the evidence (or the initial window, before there is any).
//   - Slow start: the limit is twice the evidence, so it doubles per round trip from the
//     initial window as TCP's congestion window does, and the requests in flight never
//     outnumber twice what the server has shown it holds. (A limit that grew by three per
//     fast success ran ahead of the requests it let out: a 128-slot server saw 640 in
//     flight before the first queued request came back.) Successes slower than half the
//     tolerance do not grow it; slowExit of them in a row end slow start and halve the
//     limit (a lone one is scheduling noise); the next round corrects it.
//   - Then, per round (as many successes as the limit was when the round began): a round
//     whose mean latency is above Tolerance × baseline + Slack is queueing, so the server
//     is saturated and the round's throughput is its capacity; the concurrency it serves
//     without queueing is est = throughput × baseline (Little's law), and the limit is set
//     to est plus a quarter (a small standing queue keeps every slot busy), within twice
//     the evidence (a round that ends in a burst measures more than the server has). A
//     faster round adds one. Throughput, not the limit, enters the estimate: right after
//     a decrease the requests in flight still outnumber the limit.
//
// Overload signals (429, 503, ...) still decrease the limit multiplicatively, and end slow
// start.
type discovery struct {
	tolerance float64
	slack     time.Duration

	slowStart bool
	initial   int           // the limit slow start began at
	proven    int           // the evidence: the most fast answers within one fastest latency
	fastest   time.Duration // the lowest latency seen
	answers   []time.Time   // when the fast answers of the last fastest latency came
	slow      int           // slow successes in a row, in slow start
	baseline  time.Duration // lowest round mean; 0 until the first round ends
	round     int           // successes that end the current round
	count     int
	sum       time.Duration
	start     time.Time // when the current round began

	// From the server's metrics (Observe), once it has reported them:
	metrics    bool
	ceiling    int     // the limit growth may reach until the next report
	preempts   float64 // the preemption counter of the last report; -1 unknown
	kvTarget   float64
	maxRunning float64 // the most requests the server reported running
	maxWaiting float64 // the most requests the server reported waiting
}

// slowExit is how many slow successes in a row end slow start.
const slowExit = 4

// slowStartFactor is how many times its evidence (discovery.proven) the limit may reach;
// slow start keeps it there, so the limit multiplies by it per round trip.
const slowStartFactor = 2

func newDiscovery(o LimitOptions, limit int) *discovery {
	d := &discovery{tolerance: o.Tolerance, slack: o.Slack, slowStart: true, initial: limit, round: limit, start: o.Now(), preempts: -1, kvTarget: o.KVTarget}
	if d.kvTarget <= 0 || d.kvTarget > 1 {
		d.kvTarget = DefaultLimitKVTarget
	}
	if d.tolerance < 1.1 {
		d.tolerance = DefaultLimitTolerance
	}
	if d.slack <= 0 {
		d.slack = DefaultLimitSlack
	}
	return d
}

// risen reports whether latency is above factor × the baseline plus the slack; without a
// baseline nothing has risen.
func (d *discovery) risen(latency time.Duration, factor float64) bool {
	return d.baseline > 0 && latency > time.Duration(float64(d.baseline)*factor)+d.slack
}

// restart begins a round of limit successes at now.
func (d *discovery) restart(limit int, now time.Time) {
	d.round, d.count, d.sum, d.start = limit, 0, 0, now
}

// discovered adapts the limit to a success that took latency. l.mu is held.
func (l *Limiter) discovered(latency time.Duration) {
	d := l.disc
	if d.fastest == 0 || latency < d.fastest {
		d.fastest = latency
	}
	d.count++
	d.sum += latency
	if d.slowStart {
		half := 1 + (d.tolerance-1)/2
		if d.risen(latency, half) {
			// Slow successes do not grow the limit; slowExit of them in a row (the
			// server queues) end slow start, while a lone one (scheduling noise) does not.
			if d.slow++; d.slow >= slowExit {
				d.slowStart = false
				l.setLimit(l.limit / 2)
				d.restart(l.limit, l.now())
			}
			return
		}
		d.slow = 0
		d.prove(latency, l.now())
		if top := l.evidenced(); l.limit < top {
			l.limit = top
			l.stats.Increases++
		}
	} else {
		d.prove(latency, l.now())
	}
	if d.count < d.round {
		return
	}
	now := l.now()
	mean := d.sum / time.Duration(d.count)
	if d.baseline == 0 || mean < d.baseline {
		d.baseline = mean
	}
	if !d.slowStart {
		if elapsed := now.Sub(d.start); d.risen(mean, d.tolerance) && elapsed > 0 {
			est := float64(d.count) / elapsed.Seconds() * d.baseline.Seconds()
			// A round that ended in a burst (queued requests answered together) measures
			// more throughput than the server has: the evidence bounds it.
			l.setLimit(min(int(math.Ceil(est*1.25)), l.evidenced()))
		} else if l.limit < l.evidenced() {
			l.limit++
			l.stats.Increases++
		}
	}
	d.restart(l.limit, now)
}

// prove counts a success that took latency and came back at now as evidence when it was not
// queued (much): within a quarter of the tolerance of the baseline (or, before there is
// one, of the fastest latency). The evidence is the most such answers within one fastest
// latency: the requests the server was seen to serve at once (its delivery rate times its
// round trip, as BBR estimates a path's capacity).
func (d *discovery) prove(latency time.Duration, now time.Time) {
	base := d.baseline
	if base == 0 {
		base = d.fastest
	}
	if latency > time.Duration(float64(base)*(1+(d.tolerance-1)/4))+d.slack {
		return
	}
	cut := 0
	for cut < len(d.answers) && now.Sub(d.answers[cut]) >= d.fastest {
		cut++
	}
	d.answers = append(d.answers[cut:], now)
	d.proven = max(d.proven, len(d.answers))
}

// evidenced is the most the limit may grow to: the ceiling, and no more than
// slowStartFactor times the evidence (or the initial window). l.mu is held.
func (l *Limiter) evidenced() int {
	d := l.disc
	return min(l.ceiling(), max(d.initial, slowStartFactor*d.proven))
}

// setLimit moves the limit to n, within [min, max], counting a decrease. l.mu is held.
func (l *Limiter) setLimit(n int) {
	n = min(max(n, l.min), l.max)
	if n < l.limit {
		l.stats.Decreases++
	}
	l.limit = n
}

// ceiling is the limit growth may reach: Max, or less while the server's metrics or memory
// pressure (Pressure) say so. l.mu is held.
func (l *Limiter) ceiling() int {
	top := l.max
	if l.held > 0 {
		top = min(top, l.held)
	}
	if l.disc != nil && l.disc.metrics {
		return min(top, l.disc.ceiling)
	}
	return top
}

// Observe steers a discovering limiter (LimitOptions.Discover) by the server's metrics;
// other limiters ignore them. Once metrics arrive they bound the latency steering:
//
//   - the server preempted since the last report: the limit drops by Decrease and slow
//     start ends;
//   - requests wait at the server: the limit holds;
//   - the KV cache is in use: the server holds Running ÷ KVUsage sequences, and the limit
//     may reach KVTarget of that, less what other clients run (Running − InFlight);
//   - nothing says otherwise (an idle server): the limit may double.
//
// The limit moves to that ceiling at once when it is lower, and successes raise it
// towards it otherwise; a KV-cache estimate is taken at once in either direction.
func (l *Limiter) Observe(m ServerMetrics) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.disc
	if d == nil {
		return
	}
	d.metrics = true
	d.maxRunning, d.maxWaiting = max(d.maxRunning, m.Running), max(d.maxWaiting, m.Waiting)
	preempted := d.preempts >= 0 && m.Preemptions > d.preempts
	d.preempts = m.Preemptions
	switch {
	case preempted:
		d.slowStart = false
		d.ceiling = int(float64(l.limit) * l.decrease)
	case m.Waiting > 0:
		d.ceiling = l.limit
	case m.KVUsage > 0.01 && m.Running > 0:
		seqs := m.Running * d.kvTarget / m.KVUsage
		others := max(0, m.Running-float64(l.inFlight))
		d.ceiling = int(seqs - others)
		d.ceiling = max(l.min, min(d.ceiling, l.max))
		if top := l.ceiling(); top > l.limit {
			l.limit = top
			l.stats.Increases++
		}
	default:
		d.ceiling = 2 * l.limit
	}
	d.ceiling = max(l.min, min(d.ceiling, l.max))
	if l.limit > d.ceiling {
		l.setLimit(d.ceiling)
	}
	d.restart(l.limit, l.now())
	l.grant()
}
