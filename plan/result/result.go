// Package result defines the result object of one benchmark run: the same shape in a run's
// results.json, in the state file, and as suite.X.result[B][E] in expressions. It also
// provides the streaming statistics (mean, stderr with n−1, 95% interval) behind it.
//
// It imports nothing from the rest of evalplan.
package result

import (
	"fmt"
	"math"
)

// Result is the outcome of one run.
type Result struct {
	// Score is the value of the primary metric.
	Score float64 `json:"score"`
	// Primary names the primary metric.
	Primary string `json:"primary"`
	// N is the number of samples scored.
	N int `json:"n"`
	// NUnknown is set when the runner could not tell how many samples were scored (a
	// container harness that reported scores but no count): N is 0 and is shown as
	// "n unknown", and the result still counts as scored.
	NUnknown bool `json:"n_unknown,omitempty"`
	// Errors is the number of samples whose request failed (never scored).
	Errors int `json:"errors"`
	// Metrics maps metric name to its summary.
	Metrics map[string]Metric `json:"metrics"`
	// Subscores maps group (e.g. "subject") to name to summary.
	Subscores map[string]map[string]Metric `json:"subscores,omitempty"`
}

// Scored reports whether r holds a score: it is not nil and at least one sample was scored,
// or the number of samples is unknown (NUnknown). A result with N == 0 (every sample
// errored, or none ran) has no score — its Score of 0 measures nothing — and is reported as
// "no result", never as 0.
func (r *Result) Scored() bool { return r != nil && (r.N > 0 || r.NUnknown) }

// NText is N for people: "n=120", or "n unknown".
func (r *Result) NText() string {
	if r.NUnknown {
		return "n unknown"
	}
	return fmt.Sprintf("n=%d", r.N)
}

// Metric summarises one metric over the scored samples.
type Metric struct {
	Value float64 `json:"value"`
	// Stderr is the standard error of the mean (n−1 denominator); nil when N ≤ 1.
	Stderr *float64 `json:"stderr"`
	// CI95 is the 95% interval; nil when N ≤ 1. It is Value ± 1.96·Stderr, except for a
	// proportion (every per-sample score 0 or 1, as accuracy), where it is the Wilson score
	// interval, which never leaves [0, 1]; Interval then says "wilson".
	CI95 *[2]float64 `json:"ci95"`
	// Interval names how CI95 was computed: IntervalWilson, or empty for Value ± 1.96·Stderr.
	Interval string `json:"interval,omitempty"`
	N        int    `json:"n"`
}

// IntervalWilson is [Metric.Interval] for the Wilson score interval of a proportion.
const IntervalWilson = "wilson"

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.96

// Wilson returns the Wilson score 95% interval of a proportion p observed over n samples;
// unlike p ± 1.96·stderr it stays within [0, 1] and is not empty at p = 0 or 1.
func Wilson(p float64, n int) [2]float64 {
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return [2]float64{math.Max(0, center-half), math.Min(1, center+half)}
}

// Mean accumulates per-sample scores in constant memory (Welford's algorithm).
// The zero value is ready to use.
type Mean struct {
	n    int
	sum  float64 // exact for 0/1 scores, so 30 of 60 is exactly 0.5
	mean float64 // running mean for the variance (Welford)
	m2   float64
	// nonBinary is set once a score other than 0 or 1 was added.
	nonBinary bool
}

// Add records one sample's score.
func (m *Mean) Add(x float64) {
	m.n++
	if x != 0 && x != 1 {
		m.nonBinary = true
	}
	m.sum += x
	d := x - m.mean
	m.mean += d / float64(m.n)
	m.m2 += d * (x - m.mean)
}

// Metric returns the summary: the mean, its standard error with the n−1 denominator (as
// lm-evaluation-harness computes it) and the 95% interval: the Wilson score interval when
// every score was 0 or 1 (a proportion), the normal mean ± 1.96·stderr otherwise.
func (m *Mean) Metric() Metric {
	out := m.Difference()
	if out.CI95 == nil {
		return out
	}
	if !m.nonBinary {
		ci := Wilson(out.Value, m.n)
		out.CI95, out.Interval = &ci, IntervalWilson
	}
	return out
}

// Difference returns the summary of paired per-sample differences: as [Mean.Metric], but
// the interval is always the normal mean ± 1.96·stderr, since a difference is not a
// proportion even when every one is 0 or 1.
func (m *Mean) Difference() Metric {
	if m.n == 0 {
		return Metric{}
	}
	value := m.sum / float64(m.n)
	out := Metric{Value: value, N: m.n}
	if m.n <= 1 {
		return out
	}
	se := math.Sqrt(m.m2/float64(m.n-1)) / math.Sqrt(float64(m.n))
	out.Stderr = &se
	out.CI95 = &[2]float64{value - z95*se, value + z95*se}
	return out
}
