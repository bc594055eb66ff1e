package compare

import (
	"errors"
	"fmt"
	"sort"

	"github.com/evalplan/evalplan/plan/result"
)

// Stat is the paired difference of one metric: new − base over the samples both answered.
type Stat struct {
	// Diff is the mean of the per-sample differences new − base.
	Diff float64 `json:"diff"`
	// Stderr is the standard error of Diff (n−1 denominator); nil when N ≤ 1.
	Stderr *float64 `json:"stderr"`
	// CI95 is Diff ± 1.96·Stderr; nil when N ≤ 1.
	CI95 *[2]float64 `json:"ci95"`
	// N is the number of samples compared.
	N int `json:"n"`
	// Significant is true when the 95% interval excludes 0.
	Significant bool `json:"significant"`
}

// Excluded counts the samples a comparison left out.
type Excluded struct {
	// Errored counts samples that errored on either side (each counted once).
	Errored int `json:"errored"`
	// ErroredNew and ErroredBase count the samples that errored on each side.
	ErroredNew  int `json:"errored_new"`
	ErroredBase int `json:"errored_base"`
	// Unmatched counts samples answered on one side only, absent from the other journal.
	Unmatched int `json:"unmatched"`
}

// Comparison is the paired comparison of two runs of one benchmark. Its JSON form is
// DESIGN §7's comparison object ({diff, stderr, ci95, n, significant} for the primary
// metric) with the metric name, every metric's Stat and the excluded counts beside it.
type Comparison struct {
	Stat
	// Metric is the primary metric, whose Stat is embedded.
	Metric string `json:"metric"`
	// Metrics maps every metric both runs scored to its Stat.
	Metrics map[string]Stat `json:"metrics"`
	// Excluded counts the samples left out.
	Excluded Excluded `json:"excluded"`
	// Identity and BaseIdentity are the identities of the two runs compared, when known.
	Identity     string `json:"identity,omitempty"`
	BaseIdentity string `json:"base_identity,omitempty"`
}

// ErrNoSamples is returned by Runs when a run directory has no journal lines to compare.
var ErrNoSamples = errors.New("no per-sample journal")

// Paired compares newRun with base on the samples both answered without error; primary
// names the metric whose Stat is embedded in the result. Samples are visited in id order,
// so equal inputs give bit-identical results.
func Paired(newRun, base map[string]Sample, primary string) *Comparison {
	c := &Comparison{Metric: primary, Metrics: map[string]Stat{}}
	means := map[string]*result.Mean{}
	for _, id := range unionIDs(newRun, base) {
		a, inNew := newRun[id]
		b, inBase := base[id]
		if a.Errored {
			c.Excluded.ErroredNew++
		}
		if b.Errored {
			c.Excluded.ErroredBase++
		}
		switch {
		case a.Errored || b.Errored:
			c.Excluded.Errored++
			continue
		case !inNew || !inBase:
			c.Excluded.Unmatched++
			continue
		}
		for m, x := range a.Score {
			y, ok := b.Score[m]
			if !ok {
				continue
			}
			if means[m] == nil {
				means[m] = &result.Mean{}
			}
			means[m].Add(x - y)
		}
	}
	for m, mean := range means {
		c.Metrics[m] = statOf(mean)
	}
	c.Stat = c.Metrics[primary]
	return c
}

// Runs compares the runs whose directories are newDir and baseDir on their journals.
func Runs(newDir, baseDir, primary string) (*Comparison, error) {
	a, err := ReadRun(newDir)
	if err != nil {
		return nil, err
	}
	b, err := ReadRun(baseDir)
	if err != nil {
		return nil, err
	}
	switch {
	case len(a) == 0:
		return nil, fmt.Errorf("%s: %w", newDir, ErrNoSamples)
	case len(b) == 0:
		return nil, fmt.Errorf("%s: %w", baseDir, ErrNoSamples)
	}
	return Paired(a, b, primary), nil
}

func statOf(m *result.Mean) Stat {
	r := m.Difference()
	s := Stat{Diff: r.Value, Stderr: r.Stderr, CI95: r.CI95, N: r.N}
	if s.CI95 != nil {
		s.Significant = s.CI95[0] > 0 || s.CI95[1] < 0
	}
	return s
}

func unionIDs(a, b map[string]Sample) []string {
	ids := make([]string, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}
