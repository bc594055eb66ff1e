package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
)

// comparisonRow is one line of evalplan compare: a paired comparison of two runs.
type comparisonRow struct {
	Suite     string `json:"suite"`
	Benchmark string `json:"benchmark"`
	New       string `json:"new"`
	Base      string `json:"base"`
	*compare.Comparison
	// Verdict is "significant" or "not significant".
	Verdict string `json:"verdict"`
}

func cmdCompare(c *cli, args []string) int {
	var suite, previous string
	var asJSON bool
	var vars commonFlags
	fs := newFlagSet(c, "compare", "compare [-suite S] [-json] ENDPOINT_A ENDPOINT_B\n       evalplan compare [-json] -previous ADDR")
	fs.StringVar(&suite, "suite", "", "compare only in suite `S`")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.StringVar(&previous, "previous", "", "compare the run at `ADDR` with its previous result")
	vars.registerVars(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if previous == "" && len(pos) != 2 || previous != "" && len(pos) != 0 {
		fmt.Fprintln(c.stderr, "Error: compare takes two endpoint names (ENDPOINT_A ENDPOINT_B), or -previous ADDR alone")
		return exitError
	}
	cfg, st, ok := c.stateForReading(vars.vars)
	if !ok {
		return exitError
	}
	var rows []comparisonRow
	if previous != "" {
		row, err := comparePrevious(cfg, st, previous)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		rows = append(rows, row)
	} else {
		var problems []string
		rows, problems = compareEndpoints(cfg, st, suite, pos[0], pos[1])
		for _, p := range problems {
			fmt.Fprintln(c.stderr, "Warning:", p)
		}
		if len(rows) == 0 {
			fmt.Fprintf(c.stderr, "Error: no benchmark has complete runs of both %s and %s to compare\n", pos[0], pos[1])
			return exitError
		}
	}
	if asJSON {
		return printJSON(c, rows)
	}
	printComparisons(c, rows)
	return exitOK
}

// compareEndpoints compares endpoint a (new) with b (base) on every benchmark of every
// suite (or of suite only) where both have a complete run. problems says why a benchmark
// that both ran could not be compared.
func compareEndpoints(cfg *config.Config, st *state.File, suite, a, b string) (rows []comparisonRow, problems []string) {
	for _, addr := range sortedNames(st.Resources) {
		s, bench, e, ok := plan.ParseRunAddr(addr)
		if !ok || e != a || suite != "" && s != suite {
			continue
		}
		baseAddr := plan.RunAddr(s, bench, b)
		ra, rb := st.Resources[addr], st.Resources[baseAddr]
		switch {
		case rb == nil:
			continue
		case !completeResult(ra):
			problems = append(problems, fmt.Sprintf("%s is %s: not compared", addr, ra.Status))
			continue
		case !completeResult(rb):
			problems = append(problems, fmt.Sprintf("%s is %s: not compared", baseAddr, rb.Status))
			continue
		}
		cmp, err := recordedComparison(ra, rb, b)
		if err != nil {
			cmp, err = compare.Runs(runDir(cfg, ra.RunDir), runDir(cfg, rb.RunDir), ra.Result.Primary)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s vs %s: %v", addr, b, err))
			continue
		}
		rows = append(rows, comparisonRow{Suite: s, Benchmark: bench, New: a, Base: b, Comparison: cmp, Verdict: verdict(cmp.Significant)})
	}
	return rows, problems
}

// recordedComparison returns the comparison apply recorded in state for the runs ra and
// rb (endpoint base), when it is for their current identities.
func recordedComparison(ra, rb *state.Resource, base string) (*compare.Comparison, error) {
	v, ok := ra.Compare[base]
	if !ok {
		return nil, errors.New("not recorded")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var cmp compare.Comparison
	if err := json.Unmarshal(raw, &cmp); err != nil {
		return nil, err
	}
	if cmp.Identity != ra.Identity || cmp.BaseIdentity != rb.Identity {
		return nil, errors.New("recorded for other runs")
	}
	return &cmp, nil
}

// comparePrevious compares the run at addr with its latest earlier result whose run
// directory still holds a journal.
func comparePrevious(cfg *config.Config, st *state.File, pattern string) (comparisonRow, error) {
	addr, r := findResource(st, pattern)
	if r == nil {
		return comparisonRow{}, fmt.Errorf("no run %s in the state (see 'evalplan state list')", pattern)
	}
	if !completeResult(r) {
		return comparisonRow{}, fmt.Errorf("%s is %s: nothing to compare", addr, r.Status)
	}
	s, bench, _, _ := plan.ParseRunAddr(addr)
	cur := runDir(cfg, r.RunDir)
	for i := len(r.History) - 1; i >= 0; i-- {
		h := r.History[i]
		if h.Result == nil || h.Status != state.StatusComplete || h.RunDir == "" || h.RunDir == r.RunDir {
			continue
		}
		dir := runDir(cfg, h.RunDir)
		if _, err := os.Stat(filepath.Join(dir, compare.JournalFile)); err != nil {
			continue
		}
		cmp, err := compare.Runs(cur, dir, r.Result.Primary)
		if err != nil {
			return comparisonRow{}, fmt.Errorf("compare %s with its previous result: %w", addr, err)
		}
		cmp.Identity, cmp.BaseIdentity = r.Identity, h.Identity
		return comparisonRow{Suite: s, Benchmark: bench, New: "now", Base: "previous (" + shortID(h.Identity) + ")", Comparison: cmp, Verdict: verdict(cmp.Significant)}, nil
	}
	return comparisonRow{}, fmt.Errorf("%s has no earlier complete result whose run directory still exists", addr)
}

func completeResult(r *state.Resource) bool {
	return r != nil && r.Status == state.StatusComplete && r.Result != nil
}

// runDir resolves a run directory recorded in state against the configuration directory.
func runDir(cfg *config.Config, dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(cfg.Dir, filepath.FromSlash(dir))
}

func printComparisons(c *cli, rows []comparisonRow) {
	fmt.Fprintf(c.stdout, "Paired differences %s − %s on the samples both answered (95%% interval = diff ± 1.96·stderr):\n\n", rows[0].New, rows[0].Base)
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUITE\tBENCHMARK\tMETRIC\tDIFF\tSTDERR\t95% INTERVAL\tN\tEXCLUDED\tVERDICT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d errored, %d unmatched\t%s\n",
			r.Suite, r.Benchmark, r.Metric, fmtSigned(r.Diff), fmtScore(r.Stderr), signedCI(r.CI95), r.N, r.Excluded.Errored, r.Excluded.Unmatched, r.Verdict)
	}
	tw.Flush()
}

func signedCI(ci *[2]float64) string {
	if ci == nil {
		return "–"
	}
	return fmt.Sprintf("[%+.3f, %+.3f]", ci[0], ci[1])
}
