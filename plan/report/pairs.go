package report

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

// Pair is a paired comparison of two runs of one benchmark: one line of `evalplan
// compare`, and one element of its -json output.
type Pair struct {
	// Suite and Benchmark say which runs were compared.
	Suite     string `json:"suite"`
	Benchmark string `json:"benchmark"`
	// New and Base name the two sides: the difference is new − base.
	New  string `json:"new"`
	Base string `json:"base"`
	*compare.Comparison
	// Verdict is "significant" or "not significant".
	Verdict string `json:"verdict"`
}

// CompareEndpoints compares endpoint newEndpoint with baseEndpoint on every benchmark of
// every suite (or of suite only, when it is not empty) where both have a complete or
// partial run, in address order; samples that errored on either side are excluded and
// counted. It uses the comparison apply recorded in st when it is for the current
// runs, and otherwise compares the runs' journals. problems says, one sentence each, why a
// benchmark that both endpoints ran could not be compared.
func CompareEndpoints(cfg *config.Config, st *state.File, suite, newEndpoint, baseEndpoint string) (pairs []Pair, problems []string) {
	for _, addr := range slices.Sorted(maps.Keys(st.Resources)) {
		run, err := addrs.ParseRun(addr)
		if err != nil || run.Endpoint != newEndpoint || suite != "" && run.Suite != suite {
			continue
		}
		s, bench := run.Suite, run.Benchmark
		baseAddr := addrs.Run{Suite: s, Benchmark: bench, Endpoint: baseEndpoint}.String()
		ra, rb := st.Resources[addr], st.Resources[baseAddr]
		switch {
		case rb == nil:
			continue
		case !comparable(ra.Status, ra.Result):
			problems = append(problems, fmt.Sprintf("%s is %s: not compared", addr, ra.Status))
			continue
		case !comparable(rb.Status, rb.Result):
			problems = append(problems, fmt.Sprintf("%s is %s: not compared", baseAddr, rb.Status))
			continue
		}
		c, err := compare.Recorded(ra.Compare[baseEndpoint], ra.Identity, rb.Identity)
		if err != nil {
			c, err = compareRuns(cfg, addr, ra, baseAddr, rb)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s vs %s: %v", addr, baseEndpoint, err))
			continue
		}
		pairs = append(pairs, Pair{Suite: s, Benchmark: bench, New: newEndpoint, Base: baseEndpoint, Comparison: c, Verdict: verdict(c.Significant)})
	}
	return pairs, problems
}

// ComparePrevious compares the run at addr with its latest earlier complete or partial
// result whose run directory still holds a journal. The pair's sides are "now" and
// "previous (ID)".
func ComparePrevious(cfg *config.Config, st *state.File, addr string) (Pair, error) {
	r := st.Resources[addr]
	if r == nil {
		return Pair{}, fmt.Errorf("no run %s in the state", addr)
	}
	if !comparable(r.Status, r.Result) {
		return Pair{}, fmt.Errorf("%s is %s: nothing to compare", addr, r.Status)
	}
	run, _ := addrs.ParseRun(addr)
	s, bench := run.Suite, run.Benchmark
	cur, err := runDir(cfg, addr, r.RunDir)
	if err != nil {
		return Pair{}, err
	}
	for i := len(r.History) - 1; i >= 0; i-- {
		h := r.History[i]
		if !comparable(h.Status, h.Result) || h.RunDir == "" || h.RunDir == r.RunDir {
			continue
		}
		dir, err := runDir(cfg, addr+" (history)", h.RunDir)
		if err != nil {
			return Pair{}, err
		}
		if _, err := os.Stat(filepath.Join(dir, rundir.JournalFile)); err != nil {
			continue
		}
		c, err := compare.Runs(cur, dir, r.Result.Primary)
		if err != nil {
			return Pair{}, fmt.Errorf("compare %s with its previous result: %w", addr, err)
		}
		c.Identity, c.BaseIdentity = r.Identity, h.Identity
		return Pair{Suite: s, Benchmark: bench, New: "now", Base: "previous (" + display.ShortID(h.Identity) + ")", Comparison: c, Verdict: verdict(c.Significant)}, nil
	}
	return Pair{}, fmt.Errorf("%s has no earlier complete or partial result whose run directory still exists", addr)
}

// comparable reports whether a run (or history entry) with status and res can be compared:
// a complete or partial run with a result; failed and running ones cannot.
func comparable(status state.Status, res *result.Result) bool {
	return res != nil && (status == state.StatusComplete || status == state.StatusPartial)
}

// compareRuns compares the journals of two recorded runs.
func compareRuns(cfg *config.Config, addr string, ra *state.Resource, baseAddr string, rb *state.Resource) (*compare.Comparison, error) {
	a, err := runDir(cfg, addr, ra.RunDir)
	if err != nil {
		return nil, err
	}
	b, err := runDir(cfg, baseAddr, rb.RunDir)
	if err != nil {
		return nil, err
	}
	return compare.Runs(a, b, ra.Result.Primary)
}

// runDir resolves the run directory state records for addr, confined to the output
// directory ([rundir.Resolve]).
func runDir(cfg *config.Config, addr, recorded string) (string, error) {
	dir, err := rundir.Resolve(cfg.Dir, cfg.Settings.OutputDir, recorded)
	if err != nil {
		return "", fmt.Errorf("%s: %w", addr, err)
	}
	return dir, nil
}
