package report

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

// Doc is everything a report shows, built from state alone. Its JSON form is
// `evalplan report -format json`.
type Doc struct {
	// GeneratedAt is when the report was built.
	GeneratedAt time.Time `json:"generated_at"`
	// State is the state file's path, as the report names it.
	State string `json:"state"`
	// Serial is the state's serial.
	Serial int64 `json:"serial"`
	// Counts maps a run status to the number of runs in state with it.
	Counts map[string]int `json:"counts"`
	// Suites are the suites with runs in state, in the configuration's order.
	Suites []Suite `json:"suites"`
}

// Suite is one suite: its benchmarks × endpoints.
type Suite struct {
	// Name is the suite's name.
	Name string `json:"name"`
	// Endpoints are the endpoints with runs, in the suite's order, then by name.
	Endpoints []string `json:"endpoints"`
	// Benchmarks are the benchmarks with runs, in the suite's order, then by name.
	Benchmarks []Benchmark `json:"benchmarks"`
}

// Benchmark is one benchmark of a suite across its endpoints.
type Benchmark struct {
	// Name is the benchmark's canonical name.
	Name string `json:"name"`
	// Primary names the primary metric of the first run with a result.
	Primary string `json:"primary"`
	// Runs are the benchmark's runs, one per endpoint, in the suite's endpoint order.
	Runs []Run `json:"runs"`
	// Comparisons are the paired comparisons state records, each pair of endpoints once,
	// then each run's comparison with its own previous result where that run's journal
	// and an earlier result's journal still exist (Previous set).
	Comparisons []Comparison `json:"comparisons"`
	// Subscores are the sub-score groups of the runs, by group name.
	Subscores []SubscoreTable `json:"subscores"`
	// NoSamples are the endpoints whose complete or partial run left a run directory without
	// a per-sample journal (a container harness that writes no per-sample output, such as
	// simple-evals): no paired comparison can include them.
	NoSamples []string `json:"no_samples,omitempty"`
}

// Run is one run: its latest result and its history.
type Run struct {
	// Endpoint is the endpoint the run evaluated.
	Endpoint string `json:"endpoint"`
	// Address is the run's address, e.g. suite.s.run["native.gsm8k"]["a"].
	Address string `json:"address"`
	// Status is the run's status in state (complete, partial, failed, running).
	Status string `json:"status"`
	// Error is the run's error, if it has one.
	Error string `json:"error,omitempty"`
	// Score is the primary metric's value; nil when the run has no result.
	Score *float64 `json:"score"`
	// Stderr is the primary metric's standard error; nil when unknown.
	Stderr *float64 `json:"stderr"`
	// CI95 is the primary metric's 95% interval; nil when unknown.
	CI95 *[2]float64 `json:"ci95"`
	// N is the number of samples scored.
	N int `json:"n"`
	// NUnknown is set when the runner could not tell N (result.Result.NUnknown).
	NUnknown bool `json:"n_unknown,omitempty"`
	// Errors is the number of samples whose request failed.
	Errors int `json:"errors"`
	// Metrics maps every metric of the result to its summary.
	Metrics map[string]result.Metric `json:"metrics,omitempty"`
	// Previous is the latest earlier result with a score, if any.
	Previous *Point `json:"previous,omitempty"`
	// Change is Score − Previous.Score, when both are known.
	Change *float64 `json:"change,omitempty"`
	// History is every result of the address, oldest first, ending with the latest.
	History []Point `json:"history"`
	// RunDir is the run directory state records.
	RunDir string `json:"run_dir,omitempty"`
	// FinishedAt is when the run finished.
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Point is one result of an address over time (history, then the latest).
type Point struct {
	// Identity is the identity of the run that gave the result.
	Identity string `json:"identity"`
	// Status is that run's status.
	Status string `json:"status"`
	// Score is the primary metric's value; nil when the run has no result.
	Score *float64 `json:"score"`
	// CI95 is the primary metric's 95% interval; nil when unknown.
	CI95 *[2]float64 `json:"ci95"`
	// N is the number of samples scored.
	N int `json:"n"`
	// FinishedAt is when the run finished.
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Comparison is the paired comparison of two endpoints on one benchmark, on the primary
// metric, as apply recorded it.
type Comparison struct {
	// New and Base are the endpoints compared: the difference is new − base.
	New  string `json:"new"`
	Base string `json:"base"`
	// Metric names the metric compared.
	Metric string `json:"metric"`
	// Diff is the mean per-sample difference.
	Diff float64 `json:"diff"`
	// Stderr is Diff's standard error; nil when N ≤ 1.
	Stderr *float64 `json:"stderr"`
	// CI95 is Diff ± 1.96·Stderr; nil when N ≤ 1.
	CI95 *[2]float64 `json:"ci95"`
	// N is the number of samples both runs answered.
	N int `json:"n"`
	// Significant is true when CI95 excludes 0.
	Significant bool `json:"significant"`
	// Errored counts the samples left out because they errored on either side.
	Errored int `json:"excluded_errored"`
	// Unmatched counts the samples left out because only one side answered them.
	Unmatched int `json:"excluded_unmatched"`
	// Previous is true when New's run is compared with its own previous result: Base
	// then reads "E (previous ID)" and BaseIdentity is that result's identity.
	Previous     bool   `json:"previous,omitempty"`
	BaseIdentity string `json:"base_identity,omitempty"`
}

// SubscoreTable is one sub-score group (e.g. MMLU's subjects) across endpoints.
type SubscoreTable struct {
	// Group names the group, e.g. "subject".
	Group string `json:"group"`
	// Rows are the group's sub-scores, by name.
	Rows []SubscoreRow `json:"rows"`
}

// SubscoreRow is one sub-score with each endpoint's value.
type SubscoreRow struct {
	// Name is the sub-score's name, e.g. "college_biology".
	Name string `json:"name"`
	// Values maps an endpoint to its value; endpoints without one are absent.
	Values map[string]result.Metric `json:"values"`
}

// Format writes doc in one format.
type Format func(w io.Writer, doc *Doc) error

// Formats returns the report formats by name: html, md, csv and json.
func Formats() map[string]Format {
	return map[string]Format{
		"md":   WriteMarkdown,
		"html": WriteHTML,
		"csv":  WriteCSV,
		"json": WriteJSON,
	}
}

// WriteJSON writes doc as indented JSON, with HTML characters left as they are.
func WriteJSON(w io.Writer, doc *Doc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// Build gathers every run of the configuration's suites (and of suites only state still
// knows) from st. statePath is the state file's path as the report shows it; now is the
// report's time.
func Build(cfg *config.Config, st *state.File, statePath string, now time.Time) *Doc {
	doc := &Doc{GeneratedAt: now, State: statePath, Serial: st.Serial, Counts: map[string]int{}}
	bySuite := map[string]map[string][]string{} // suite → benchmark → endpoints
	for addr, r := range st.Resources {
		ra, err := addrs.ParseRun(addr)
		if err != nil || r.Type != "run" {
			continue
		}
		s, b, e := ra.Suite, ra.Benchmark, ra.Endpoint
		if bySuite[s] == nil {
			bySuite[s] = map[string][]string{}
		}
		bySuite[s][b] = append(bySuite[s][b], e)
		doc.Counts[string(r.Status)]++
	}
	for _, name := range suiteOrder(cfg, bySuite) {
		doc.Suites = append(doc.Suites, buildSuite(cfg, st, name, bySuite[name]))
	}
	return doc
}

// buildSuite builds the suite name (nil in cfg when only state knows it) from its runs in
// st, have mapping each benchmark to its endpoints.
func buildSuite(cfg *config.Config, st *state.File, name string, have map[string][]string) Suite {
	cs := cfg.Suites[name]
	var order []string
	if cs != nil {
		order = cs.Endpoints
	}
	s := Suite{Name: name}
	seen := map[string]bool{}
	for _, bname := range benchmarkOrder(cs, have) {
		eps := orderEndpoints(order, have[bname])
		b := Benchmark{Name: bname}
		for _, e := range eps {
			seen[e] = true
			addr := addrs.Run{Suite: name, Benchmark: bname, Endpoint: e}.String()
			res := st.Resources[addr]
			if res.Result != nil && b.Primary == "" {
				b.Primary = res.Result.Primary
			}
			b.Runs = append(b.Runs, newRun(addr, e, res))
		}
		b.Comparisons = comparisons(cfg, st, name, bname, eps)
		b.Comparisons = append(b.Comparisons, previousComparisons(cfg, st, name, bname, eps)...)
		b.Subscores = subscores(st, name, bname, eps)
		b.NoSamples = noSamples(cfg, st, name, bname, eps)
		s.Benchmarks = append(s.Benchmarks, b)
	}
	for _, e := range order {
		if seen[e] {
			s.Endpoints = append(s.Endpoints, e)
			delete(seen, e)
		}
	}
	s.Endpoints = append(s.Endpoints, slices.Sorted(maps.Keys(seen))...)
	return s
}

// suiteOrder lists the suites with runs in state: those of the configuration in the order
// they are declared, then the rest by name.
func suiteOrder(cfg *config.Config, have map[string]map[string][]string) []string {
	out := slices.Sorted(maps.Keys(have))
	declared := func(name string) (string, int, bool) {
		s := cfg.Suites[name]
		if s == nil {
			return "", 0, false
		}
		return s.DeclRange.Filename, s.DeclRange.Start.Byte, true
	}
	sort.SliceStable(out, func(i, j int) bool {
		fi, bi, oki := declared(out[i])
		fj, bj, okj := declared(out[j])
		switch {
		case oki != okj:
			return oki
		case fi != fj:
			return fi < fj
		}
		return bi < bj
	})
	return out
}

// benchmarkOrder lists a suite's benchmarks with runs in state: the configuration's order
// first, then the rest by name.
func benchmarkOrder(s *config.Suite, have map[string][]string) []string {
	var out []string
	done := map[string]bool{}
	if s != nil {
		for _, b := range s.Benchmarks {
			name := b.Canonical
			if name == "" {
				name = b.Name
			}
			if _, ok := have[name]; ok && !done[name] {
				out = append(out, name)
				done[name] = true
			}
		}
	}
	for _, b := range slices.Sorted(maps.Keys(have)) {
		if !done[b] {
			out = append(out, b)
		}
	}
	return out
}

// orderEndpoints orders eps by their place in order; the rest follow by name.
func orderEndpoints(order, eps []string) []string {
	rank := map[string]int{}
	for i, e := range order {
		rank[e] = i + 1
	}
	out := append([]string(nil), eps...)
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank[out[i]], rank[out[j]]
		if ri == 0 {
			ri = len(order) + 1
		}
		if rj == 0 {
			rj = len(order) + 1
		}
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

// newRun is the run at addr on endpoint, from its resource r.
func newRun(addr, endpoint string, r *state.Resource) Run {
	run := Run{Endpoint: endpoint, Address: addr, Status: string(r.Status), Error: r.Error, RunDir: r.RunDir, FinishedAt: r.FinishedAt}
	// A result with no scored sample (a state written before apply dropped them) has no
	// score: the run shows its status, never 0.
	if r.Result.Scored() {
		m := r.Result.Metrics[r.Result.Primary]
		score := r.Result.Score
		run.Score, run.Stderr, run.CI95 = &score, m.Stderr, m.CI95
		run.N, run.NUnknown, run.Errors, run.Metrics = r.Result.N, r.Result.NUnknown, r.Result.Errors, r.Result.Metrics
	}
	for _, h := range r.History {
		p := Point{Identity: h.Identity, Status: string(h.Status), FinishedAt: h.FinishedAt}
		if h.Result.Scored() {
			score := h.Result.Score
			p.Score, p.CI95, p.N = &score, h.Result.Metrics[h.Result.Primary].CI95, h.Result.N
			prev := p
			run.Previous = &prev
		}
		run.History = append(run.History, p)
	}
	run.History = append(run.History, Point{Identity: r.Identity, Status: string(r.Status), Score: run.Score, CI95: run.CI95, N: run.N, FinishedAt: r.FinishedAt})
	if run.Previous != nil && run.Score != nil {
		d := *run.Score - *run.Previous.Score
		run.Change = &d
	}
	return run
}

// comparisons lists the paired comparisons state holds for each pair of endpoints once,
// the earlier endpoint (in the suite's order) as new.
func comparisons(cfg *config.Config, st *state.File, suite, benchmark string, eps []string) []Comparison {
	var out []Comparison
	for i, e := range eps {
		for _, b := range eps[i+1:] {
			addr := addrs.Run{Suite: suite, Benchmark: benchmark, Endpoint: e}.String()
			baseAddr := addrs.Run{Suite: suite, Benchmark: benchmark, Endpoint: b}.String()
			if c, ok := pairComparison(cfg, st, addr, baseAddr, b); ok {
				c.New, c.Base = e, b
				out = append(out, c)
			}
		}
	}
	return out
}

// pairComparison is the comparison of the run at addr with the one at baseAddr (on endpoint
// base): the one apply recorded, or else one computed now from the
// runs' journals. Apply records only the comparisons a check or output reads.
func pairComparison(cfg *config.Config, st *state.File, addr, baseAddr, base string) (Comparison, bool) {
	r, rb := st.Resources[addr], st.Resources[baseAddr]
	if r == nil || rb == nil || !comparable(r.Status, r.Result) || !comparable(rb.Status, rb.Result) {
		return Comparison{}, false
	}
	if c, ok := recordedComparison(r, base); ok {
		return c, true
	}
	c, err := compareRuns(cfg, addr, r, baseAddr, rb)
	if err != nil {
		return Comparison{}, false
	}
	return fromCompare(c), true
}

// recordedComparison reads the comparison of run r with endpoint base that apply recorded.
func recordedComparison(r *state.Resource, base string) (Comparison, bool) {
	if r == nil || r.Compare[base] == nil {
		return Comparison{}, false
	}
	c, err := compare.Decode(r.Compare[base])
	if err != nil {
		return Comparison{}, false
	}
	return fromCompare(c), true
}

// fromCompare is c as the report shows it, without its sides.
func fromCompare(c *compare.Comparison) Comparison {
	return Comparison{
		Metric: c.Metric, Diff: c.Diff, Stderr: c.Stderr, CI95: c.CI95, N: c.N, Significant: c.Significant,
		Errored: c.Excluded.Errored, Unmatched: c.Excluded.Unmatched,
	}
}

// previousComparisons compares each run of a benchmark that has history with its own
// latest earlier result (ComparePrevious, reading both journals from the run
// directories); a run without such a result, or whose journals are gone, has no row.
func previousComparisons(cfg *config.Config, st *state.File, suite, benchmark string, eps []string) []Comparison {
	var out []Comparison
	for _, e := range eps {
		addr := addrs.Run{Suite: suite, Benchmark: benchmark, Endpoint: e}.String()
		if r := st.Resources[addr]; r == nil || len(r.History) == 0 {
			continue
		}
		p, err := ComparePrevious(cfg, st, addr)
		if err != nil {
			continue
		}
		c := fromCompare(p.Comparison)
		c.New, c.Base, c.Previous, c.BaseIdentity = e, e+" (previous "+display.ShortID(p.BaseIdentity)+")", true, p.BaseIdentity
		out = append(out, c)
	}
	return out
}

// subscores gathers each sub-score group of a benchmark across endpoints.
func subscores(st *state.File, suite, benchmark string, eps []string) []SubscoreTable {
	groups := map[string]map[string]map[string]result.Metric{} // group → name → endpoint
	for _, e := range eps {
		r := st.Resources[addrs.Run{Suite: suite, Benchmark: benchmark, Endpoint: e}.String()]
		if r == nil || r.Result == nil {
			continue
		}
		for g, names := range r.Result.Subscores {
			if groups[g] == nil {
				groups[g] = map[string]map[string]result.Metric{}
			}
			for n, m := range names {
				if groups[g][n] == nil {
					groups[g][n] = map[string]result.Metric{}
				}
				groups[g][n][e] = m
			}
		}
	}
	var out []SubscoreTable
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		t := SubscoreTable{Group: g}
		for _, n := range slices.Sorted(maps.Keys(groups[g])) {
			t.Rows = append(t.Rows, SubscoreRow{Name: n, Values: groups[g][n]})
		}
		out = append(out, t)
	}
	return out
}

// runFor returns b's run on endpoint.
func runFor(b Benchmark, endpoint string) (Run, bool) {
	for _, r := range b.Runs {
		if r.Endpoint == endpoint {
			return r, true
		}
	}
	return Run{}, false
}

// noSamples lists the endpoints whose complete or partial run of benchmark has a run
// directory but no journal in it.
func noSamples(cfg *config.Config, st *state.File, suite, benchmark string, eps []string) []string {
	var out []string
	for _, e := range eps {
		addr := addrs.Run{Suite: suite, Benchmark: benchmark, Endpoint: e}.String()
		r := st.Resources[addr]
		if r == nil || r.RunDir == "" || !comparable(r.Status, r.Result) {
			continue
		}
		dir, err := runDir(cfg, addr, r.RunDir)
		if err != nil {
			continue
		}
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, rundir.JournalFile)); errors.Is(err, fs.ErrNotExist) {
			out = append(out, e)
		}
	}
	return out
}
