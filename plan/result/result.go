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
	// CI95 is Value ± 1.96·Stderr; nil when N ≤ 1.
	CI95 *[2]float64 `json:"ci95"`
	N    int         `json:"n"`
}

// Mean accumulates per-sample scores in constant memory (Welford's algorithm).
// The zero value is ready to use.
type Mean struct {
	n    int
	sum  float64 // exact for 0/1 scores, so 30 of 60 is exactly 0.5
	mean float64 // running mean for the variance (Welford)
	m2   float64
}

// Add records one sample's score.
func (m *Mean) Add(x float64) {
	m.n++
	m.sum += x
	d := x - m.mean
	m.mean += d / float64(m.n)
	m.m2 += d * (x - m.mean)
}

// Metric returns the summary: the mean, its standard error with the n−1 denominator (as
// lm-evaluation-harness computes it) and the normal 95% interval mean ± 1.96·stderr.
func (m *Mean) Metric() Metric {
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
	out.CI95 = &[2]float64{value - 1.96*se, value + 1.96*se}
	return out
}
