package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/hashicorp/hcl/v2"
)

// reportFormats are the formats of evalplan report, by -format name.
var reportFormats = map[string]func(io.Writer, *reportDoc) error{
	"md":   writeReportMarkdown,
	"html": writeReportHTML,
	"csv":  writeReportCSV,
	"json": writeReportJSON,
}

func cmdReport(c *cli, args []string) int {
	var format, out string
	var vars commonFlags
	fs := newFlagSet(c, "report", "report [-format html|md|csv|json] [-o FILE]")
	vars.registerVars(fs)
	fs.StringVar(&format, "format", "md", "output format: html, md, csv or json")
	fs.StringVar(&out, "o", "", "write the report to `FILE` instead of standard output")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	write, known := reportFormats[format]
	switch {
	case len(pos) > 0:
		fmt.Fprintln(c.stderr, "Error: report takes no arguments")
		return exitError
	case !known:
		fmt.Fprintf(c.stderr, "Error: unknown -format %q; use html, md, csv or json\n", format)
		return exitError
	}
	cfg, st, ok := c.stateForReading(vars.vars)
	if !ok {
		return exitError
	}
	doc := buildReport(cfg, st, rel(c.dir, cfg.Settings.State), time.Now().UTC())
	if out == "" {
		if err := write(c.stdout, doc); err != nil {
			fmt.Fprintln(c.stderr, "Error: write the report:", err)
			return exitError
		}
		return exitOK
	}
	if err := writeReportFile(c.abs(out), write, doc); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "Report written to %s\n", out)
	return exitOK
}

// stateForReading loads the configuration, for the state's path, the suites' endpoint
// order and the directory run directories are relative to, and reads the state. When the
// configuration does not load (a required variable is unset, say), it falls back to the
// default state file in the configuration directory, so reports and comparisons work from
// state alone; only when that is missing too are the configuration's errors shown.
func (c *cli) stateForReading(vars []config.VarArg) (*config.Config, *state.File, bool) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error: load the benchmark catalog:", err)
		return nil, nil, false
	}
	cfg, diags := config.Load(c.dir, config.LoadOptions{Vars: vars, Environ: c.environ, Catalog: cat})
	if diags.HasErrors() || cfg == nil {
		fallback := &config.Config{Dir: c.dir}
		fallback.Settings.State = filepath.Join(c.dir, defaultStateFile)
		if _, err := os.Stat(fallback.Settings.State); err != nil {
			var files map[string]*hcl.File
			if cfg != nil {
				files = cfg.HCLFiles()
			}
			c.printDiags(files, diags, false)
			return nil, nil, false
		}
		cfg = fallback
	}
	st, _, err := c.readState(cfg.Settings.State)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return nil, nil, false
	}
	return cfg, st, true
}

// defaultStateFile is the state file's name when the evalplan block does not set one.
const defaultStateFile = "evalplan.state.json"

func writeReportFile(path string, write func(io.Writer, *reportDoc) error, doc *reportDoc) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err := write(f, doc); err != nil {
		f.Close()
		return fmt.Errorf("write the report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the report %s: %w", path, err)
	}
	return nil
}

// reportDoc is everything a report shows, built from state alone. Its JSON form is
// `evalplan report -format json`.
type reportDoc struct {
	GeneratedAt time.Time      `json:"generated_at"`
	State       string         `json:"state"`
	Serial      int64          `json:"serial"`
	Counts      map[string]int `json:"counts"`
	Suites      []reportSuite  `json:"suites"`
}

// reportSuite is one suite: its benchmarks × endpoints.
type reportSuite struct {
	Name       string            `json:"name"`
	Endpoints  []string          `json:"endpoints"`
	Benchmarks []reportBenchmark `json:"benchmarks"`
}

// reportBenchmark is one benchmark of a suite across its endpoints.
type reportBenchmark struct {
	Name        string             `json:"name"`
	Primary     string             `json:"primary"`
	Runs        []reportRun        `json:"runs"`
	Comparisons []reportComparison `json:"comparisons"`
	Subscores   []reportSubTable   `json:"subscores"`
}

// reportRun is one run: its latest result and its history.
type reportRun struct {
	Endpoint   string                   `json:"endpoint"`
	Address    string                   `json:"address"`
	Status     string                   `json:"status"`
	Error      string                   `json:"error,omitempty"`
	Score      *float64                 `json:"score"`
	Stderr     *float64                 `json:"stderr"`
	CI95       *[2]float64              `json:"ci95"`
	N          int                      `json:"n"`
	Errors     int                      `json:"errors"`
	Metrics    map[string]result.Metric `json:"metrics,omitempty"`
	Previous   *reportPoint             `json:"previous,omitempty"`
	Change     *float64                 `json:"change,omitempty"`
	History    []reportPoint            `json:"history"`
	RunDir     string                   `json:"run_dir,omitempty"`
	FinishedAt *time.Time               `json:"finished_at,omitempty"`
}

// reportPoint is one result of an address over time (history, then the latest).
type reportPoint struct {
	Identity   string      `json:"identity"`
	Status     string      `json:"status"`
	Score      *float64    `json:"score"`
	CI95       *[2]float64 `json:"ci95"`
	N          int         `json:"n"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
}

// reportComparison is the paired comparison of two endpoints on one benchmark.
type reportComparison struct {
	New         string      `json:"new"`
	Base        string      `json:"base"`
	Metric      string      `json:"metric"`
	Diff        float64     `json:"diff"`
	Stderr      *float64    `json:"stderr"`
	CI95        *[2]float64 `json:"ci95"`
	N           int         `json:"n"`
	Significant bool        `json:"significant"`
	Errored     int         `json:"excluded_errored"`
	Unmatched   int         `json:"excluded_unmatched"`
}

// reportSubTable is one subscore group (e.g. MMLU's subjects) across endpoints.
type reportSubTable struct {
	Group string         `json:"group"`
	Rows  []reportSubRow `json:"rows"`
}

// reportSubRow is one subscore name with each endpoint's value.
type reportSubRow struct {
	Name   string                   `json:"name"`
	Values map[string]result.Metric `json:"values"`
}

// buildReport gathers every run of the configuration's suites (and of suites only state
// still knows) from st.
func buildReport(cfg *config.Config, st *state.File, statePath string, now time.Time) *reportDoc {
	doc := &reportDoc{GeneratedAt: now, State: statePath, Serial: st.Serial, Counts: map[string]int{}}
	bySuite := map[string]map[string][]string{} // suite → benchmark → endpoints
	for addr, r := range st.Resources {
		s, b, e, ok := plan.ParseRunAddr(addr)
		if !ok || r.Type != "run" {
			continue
		}
		if bySuite[s] == nil {
			bySuite[s] = map[string][]string{}
		}
		bySuite[s][b] = append(bySuite[s][b], e)
		doc.Counts[r.Status]++
	}
	for _, sname := range suiteOrder(cfg, bySuite) {
		var order []string
		if s := cfg.Suites[sname]; s != nil {
			order = s.Endpoints
		}
		rs := reportSuite{Name: sname}
		seen := map[string]bool{}
		for _, bname := range benchmarkOrder(cfg.Suites[sname], bySuite[sname]) {
			eps := orderEndpoints(order, bySuite[sname][bname])
			rb := reportBenchmark{Name: bname}
			for _, e := range eps {
				seen[e] = true
				res := st.Resources[plan.RunAddr(sname, bname, e)]
				run := newReportRun(plan.RunAddr(sname, bname, e), e, res)
				if res.Result != nil && rb.Primary == "" {
					rb.Primary = res.Result.Primary
				}
				rb.Runs = append(rb.Runs, run)
			}
			rb.Comparisons = reportComparisons(st, sname, bname, eps)
			rb.Subscores = reportSubscores(st, sname, bname, eps)
			rs.Benchmarks = append(rs.Benchmarks, rb)
		}
		for _, e := range order {
			if seen[e] {
				rs.Endpoints = append(rs.Endpoints, e)
				delete(seen, e)
			}
		}
		rs.Endpoints = append(rs.Endpoints, sortedNames(seen)...)
		doc.Suites = append(doc.Suites, rs)
	}
	return doc
}

// suiteOrder lists the suites with runs in state: those of the configuration in the order
// they are declared, then the rest by name.
func suiteOrder(cfg *config.Config, have map[string]map[string][]string) []string {
	out := sortedNames(have)
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
	for _, b := range sortedNames(have) {
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

func newReportRun(addr, endpoint string, r *state.Resource) reportRun {
	run := reportRun{Endpoint: endpoint, Address: addr, Status: r.Status, Error: r.Error, RunDir: r.RunDir, FinishedAt: r.FinishedAt}
	if r.Result != nil {
		m := r.Result.Metrics[r.Result.Primary]
		score := r.Result.Score
		run.Score, run.Stderr, run.CI95 = &score, m.Stderr, m.CI95
		run.N, run.Errors, run.Metrics = r.Result.N, r.Result.Errors, r.Result.Metrics
	}
	for _, h := range r.History {
		p := reportPoint{Identity: h.Identity, Status: h.Status, FinishedAt: h.FinishedAt}
		if h.Result != nil {
			score := h.Result.Score
			p.Score, p.CI95, p.N = &score, h.Result.Metrics[h.Result.Primary].CI95, h.Result.N
			prev := p
			run.Previous = &prev
		}
		run.History = append(run.History, p)
	}
	run.History = append(run.History, reportPoint{Identity: r.Identity, Status: r.Status, Score: run.Score, CI95: run.CI95, N: run.N, FinishedAt: r.FinishedAt})
	if run.Previous != nil && run.Score != nil {
		d := *run.Score - *run.Previous.Score
		run.Change = &d
	}
	return run
}

// reportComparisons lists the paired comparisons state holds for each pair of endpoints
// once, the earlier endpoint (in the suite's order) as new.
func reportComparisons(st *state.File, suite, benchmark string, eps []string) []reportComparison {
	var out []reportComparison
	for i, e := range eps {
		for _, b := range eps[i+1:] {
			r := st.Resources[plan.RunAddr(suite, benchmark, e)]
			if c, ok := comparisonFromState(r, b); ok {
				c.New, c.Base = e, b
				out = append(out, c)
			}
		}
	}
	return out
}

// comparisonFromState reads the comparison of run r with endpoint base that apply recorded.
func comparisonFromState(r *state.Resource, base string) (reportComparison, bool) {
	if r == nil || r.Compare[base] == nil {
		return reportComparison{}, false
	}
	raw, err := json.Marshal(r.Compare[base])
	if err != nil {
		return reportComparison{}, false
	}
	var c struct {
		reportComparison
		Excluded struct {
			Errored   int `json:"errored"`
			Unmatched int `json:"unmatched"`
		} `json:"excluded"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return reportComparison{}, false
	}
	out := c.reportComparison
	out.Errored, out.Unmatched = c.Excluded.Errored, c.Excluded.Unmatched
	return out, true
}

// reportSubscores gathers each subscore group of a benchmark across endpoints.
func reportSubscores(st *state.File, suite, benchmark string, eps []string) []reportSubTable {
	groups := map[string]map[string]map[string]result.Metric{} // group → name → endpoint
	for _, e := range eps {
		r := st.Resources[plan.RunAddr(suite, benchmark, e)]
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
	var out []reportSubTable
	for _, g := range sortedNames(groups) {
		t := reportSubTable{Group: g}
		for _, n := range sortedNames(groups[g]) {
			t.Rows = append(t.Rows, reportSubRow{Name: n, Values: groups[g][n]})
		}
		out = append(out, t)
	}
	return out
}

func writeReportJSON(w io.Writer, doc *reportDoc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
