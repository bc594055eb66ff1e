package status

import (
	"math"
	"time"
)

// DefaultWindow is how far back a Meter looks when it computes a rate.
const DefaultWindow = 30 * time.Second

// Meter estimates a rate from (time, count) observations over a sliding window: the
// observations within Window of the newest one, plus the newest one older than that, so that
// a refresh interval longer than the window still gives a rate.
type Meter struct {
	// Window is how far back the rate looks; 0 means DefaultWindow.
	Window time.Duration
	obs    []observation
}

type observation struct {
	t time.Time
	n int64
}

// Observe records that the count was n at time t. An observation older than the newest is
// ignored; a count lower than the newest (a journal read again from the start) restarts the
// meter.
func (m *Meter) Observe(t time.Time, n int64) {
	if k := len(m.obs); k > 0 {
		last := m.obs[k-1]
		if t.Before(last.t) {
			return
		}
		if n < last.n {
			m.obs = m.obs[:0]
		}
	}
	m.obs = append(m.obs, observation{t, n})
	window := m.Window
	if window <= 0 {
		window = DefaultWindow
	}
	cut := 0
	for cut < len(m.obs)-2 && t.Sub(m.obs[cut+1].t) >= window {
		cut++
	}
	m.obs = append(m.obs[:0], m.obs[cut:]...)
}

// Rate is the count's growth per second over the window; ok is false until two observations
// at different times exist.
func (m *Meter) Rate() (perSecond float64, ok bool) {
	if len(m.obs) < 2 {
		return 0, false
	}
	first, last := m.obs[0], m.obs[len(m.obs)-1]
	dt := last.t.Sub(first.t).Seconds()
	if dt <= 0 {
		return 0, false
	}
	return float64(last.n-first.n) / dt, true
}

// ETA is the time left to finish remaining items at rate per second, rounded up to the second;
// ok is false when it cannot be known (no rate, or nothing moving while work remains).
// Nothing remaining is 0, whatever the rate.
func ETA(remaining int64, rate float64) (time.Duration, bool) {
	if remaining <= 0 {
		return 0, true
	}
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return 0, false
	}
	secs := float64(remaining) / rate
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(math.Ceil(secs)) * time.Second, true
}
