package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeJournal writes a run directory under dir whose journal scores each sample of
// scores (ids 1, 2, ...) on acc; "err" is a sample whose request failed.
func writeJournal(t *testing.T, dir, run string, scores ...string) {
	t.Helper()
	var b strings.Builder
	for i, s := range scores {
		id := string(rune('1' + i))
		if s == "err" {
			b.WriteString(`{"id":"` + id + `","score":{},"error":"HTTP 500"}` + "\n")
			continue
		}
		b.WriteString(`{"id":"` + id + `","score":{"acc":` + s + `},"error":null}` + "\n")
	}
	if err := os.MkdirAll(filepath.Join(dir, run), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, run, rundir.JournalFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func complete(identity, runDir string, score float64) *state.Resource {
	return &state.Resource{
		Type: "run", Identity: identity, Status: state.StatusComplete, RunDir: runDir,
		Result: &result.Result{Score: score, Primary: "acc", N: 4, Metrics: map[string]result.Metric{"acc": {Value: score, N: 4}}},
	}
}

func partial(identity, runDir string, score float64) *state.Resource {
	r := complete(identity, runDir, score)
	r.Status = state.StatusPartial
	return r
}

func TestCompareEndpoints(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir, "new", "1", "1", "1", "0")
	writeJournal(t, dir, "base", "0", "1", "0", "0")
	writeJournal(t, dir, "new-errors", "1", "err", "1", "0")
	writeJournal(t, dir, "base-errors", "err", "1", "0", "0")
	cfg := &config.Config{Dir: dir, Settings: config.Settings{OutputDir: dir}}
	fromJournals := compare.Paired(
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 1}}, "2": {Score: map[string]float64{"acc": 1}}, "3": {Score: map[string]float64{"acc": 1}}, "4": {Score: map[string]float64{"acc": 0}}},
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 0}}, "2": {Score: map[string]float64{"acc": 1}}, "3": {Score: map[string]float64{"acc": 0}}, "4": {Score: map[string]float64{"acc": 0}}},
		"acc")
	current := &compare.Comparison{Stat: compare.Stat{Diff: 0.25, N: 9}, Metric: "acc", Identity: "n1", BaseIdentity: "b1"}

	withRecorded := func(r *state.Resource, base string, c *compare.Comparison) *state.Resource {
		r.Compare = map[string]any{base: recorded(t, c)}
		return r
	}
	withErrors := compare.Paired(
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 1}}, "2": {Score: map[string]float64{}, Errored: true}, "3": {Score: map[string]float64{"acc": 1}}, "4": {Score: map[string]float64{"acc": 0}}},
		map[string]compare.Sample{"1": {Score: map[string]float64{}, Errored: true}, "2": {Score: map[string]float64{"acc": 1}}, "3": {Score: map[string]float64{"acc": 0}}, "4": {Score: map[string]float64{"acc": 0}}},
		"acc")
	if withErrors.N != 2 || withErrors.Excluded.Errored != 2 {
		t.Fatalf("fixture: %+v", withErrors)
	}
	failed := &state.Resource{Type: "run", Identity: "f", Status: state.StatusFailed}
	running := &state.Resource{Type: "run", Identity: "r", Status: state.StatusRunning, RunDir: "new"}
	tests := []struct {
		name     string
		suite    string
		res      map[string]*state.Resource
		want     []Pair
		problems []string
	}{
		{
			name: "a current recorded comparison is used as it is",
			res: map[string]*state.Resource{
				`suite.s.run["m"]["n"]`: withRecorded(complete("n1", "gone", 0.5), "b", current),
				`suite.s.run["m"]["b"]`: complete("b1", "gone", 0.25),
			},
			want: []Pair{{Suite: "s", Benchmark: "m", New: "n", Base: "b", Comparison: current, Verdict: "not significant"}},
		},
		{
			name: "a stale recorded comparison gives way to the journals",
			res: map[string]*state.Resource{
				`suite.s.run["m"]["n"]`: withRecorded(complete("n2", "new", 0.75), "b", current),
				`suite.s.run["m"]["b"]`: complete("b1", filepath.Join(dir, "base"), 0.25),
			},
			want: []Pair{{Suite: "s", Benchmark: "m", New: "n", Base: "b", Comparison: fromJournals, Verdict: "not significant"}},
		},
		{
			name: "runs that are not complete, lack journals or lack a base are reported or skipped",
			res: map[string]*state.Resource{
				`suite.s.run["m1"]["n"]`: failed,
				`suite.s.run["m1"]["b"]`: complete("b1", "base", 0.25),
				`suite.s.run["m2"]["n"]`: complete("n1", "new", 0.75),
				`suite.s.run["m2"]["b"]`: failed,
				`suite.s.run["m3"]["n"]`: complete("n1", "new", 0.75),
				`suite.s.run["m3"]["b"]`: complete("b1", "missing", 0.25),
				`suite.s.run["m4"]["n"]`: complete("n1", "new", 0.75),
				`suite.s.run["m4"]["x"]`: complete("x1", "base", 0.25),
			},
			problems: []string{
				`suite.s.run["m1"]["n"] is failed: not compared`,
				`suite.s.run["m2"]["b"] is failed: not compared`,
				`suite.s.run["m3"]["n"] vs b: ` + filepath.Join(dir, "missing") + `: no per-sample journal`,
			},
		},
		{
			name: "partial runs are compared on the samples both answered, errored ones excluded and counted",
			res: map[string]*state.Resource{
				`suite.s.run["m"]["n"]`: partial("n1", "new-errors", 0.66),
				`suite.s.run["m"]["b"]`: partial("b1", "base-errors", 0.33),
			},
			want: []Pair{{Suite: "s", Benchmark: "m", New: "n", Base: "b", Comparison: withErrors, Verdict: "not significant"}},
		},
		{
			name: "a running run is not compared",
			res: map[string]*state.Resource{
				`suite.s.run["m"]["n"]`: running,
				`suite.s.run["m"]["b"]`: complete("b1", "base", 0.25),
			},
			problems: []string{`suite.s.run["m"]["n"] is running: not compared`},
		},
		{
			name:  "only the suite asked for",
			suite: "t",
			res: map[string]*state.Resource{
				`suite.s.run["m"]["n"]`: complete("n1", "new", 0.75),
				`suite.s.run["m"]["b"]`: complete("b1", "base", 0.25),
				`suite.t.run["m"]["n"]`: complete("n1", "new", 0.75),
				`suite.t.run["m"]["b"]`: complete("b1", "base", 0.25),
			},
			want: []Pair{{Suite: "t", Benchmark: "m", New: "n", Base: "b", Comparison: fromJournals, Verdict: "not significant"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := CompareEndpoints(cfg, &state.File{Resources: tt.res}, tt.suite, "n", "b")
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("CompareEndpoints (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, problems); diff != "" {
				t.Errorf("CompareEndpoints problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComparePrevious(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir, "now", "1", "1", "0")
	writeJournal(t, dir, "then", "1", "0", "0", "1")
	cfg := &config.Config{Dir: dir, Settings: config.Settings{OutputDir: dir}}
	const addr = `suite.s.run["m"]["a"]`
	withHistory := func(h ...state.HistoryEntry) *state.Resource {
		r := complete("id-now-0123456789", "now", 0.66)
		r.History = h
		return r
	}
	then := state.HistoryEntry{Identity: "id-then-0123456789", Status: state.StatusComplete, RunDir: "then", Result: &result.Result{Score: 0.5}}
	want := compare.Paired(
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 1}}, "2": {Score: map[string]float64{"acc": 1}}, "3": {Score: map[string]float64{"acc": 0}}},
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 1}}, "2": {Score: map[string]float64{"acc": 0}}, "3": {Score: map[string]float64{"acc": 0}}, "4": {Score: map[string]float64{"acc": 1}}},
		"acc")
	want.Identity, want.BaseIdentity = "id-now-0123456789", "id-then-0123456789"

	tests := []struct {
		name    string
		r       *state.Resource
		want    Pair
		wantErr string
	}{
		{
			name: "the latest earlier result with a journal",
			r: withHistory(then,
				state.HistoryEntry{Identity: "failed", Status: state.StatusFailed, RunDir: "then"},
				state.HistoryEntry{Identity: "gone", Status: state.StatusComplete, RunDir: "gone", Result: &result.Result{}},
				state.HistoryEntry{Identity: "same dir", Status: state.StatusComplete, RunDir: "now", Result: &result.Result{}}),
			want: Pair{Suite: "s", Benchmark: "m", New: "now", Base: "previous (id-then-0123)", Comparison: want, Verdict: "not significant"},
		},
		{name: "unknown run", wantErr: `no run suite.s.run["m"]["a"] in the state`},
		{name: "not complete", r: &state.Resource{Type: "run", Status: state.StatusPartial}, wantErr: `suite.s.run["m"]["a"] is partial: nothing to compare`},
		{
			name: "a partial run and a partial earlier result",
			r: func() *state.Resource {
				r := withHistory(state.HistoryEntry{Identity: "id-then-0123456789", Status: state.StatusPartial, RunDir: "then", Result: &result.Result{Score: 0.5}})
				r.Status = state.StatusPartial
				return r
			}(),
			want: Pair{Suite: "s", Benchmark: "m", New: "now", Base: "previous (id-then-0123)", Comparison: want, Verdict: "not significant"},
		},
		{name: "no earlier result", r: withHistory(), wantErr: `suite.s.run["m"]["a"] has no earlier complete or partial result whose run directory still exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &state.File{Resources: map[string]*state.Resource{}}
			if tt.r != nil {
				st.Resources[addr] = tt.r
			}
			got, err := ComparePrevious(cfg, st, addr)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ComparePrevious error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("ComparePrevious (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildVsPrevious shows a run's comparison with its previous result among the
// benchmark's comparisons, after those between endpoints (computed from the journals, as
// state records none), when both journals exist; a run
// whose earlier run directory is gone has none.
func TestBuildVsPrevious(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir, "now", "0", "err", "0")
	writeJournal(t, dir, "then", "1", "0", "0", "1")
	cfg := &config.Config{Dir: dir, Settings: config.Settings{OutputDir: dir}, Suites: map[string]*config.Suite{"s": {Name: "s", Endpoints: []string{"a", "b"}}}}
	a := partial("id-now-0123456789", "now", 0.5)
	a.History = []state.HistoryEntry{{Identity: "id-then-0123456789", Status: state.StatusComplete, RunDir: "then", Result: &result.Result{Score: 0.5}}}
	b := complete("id-b", "now", 0.5)
	b.History = []state.HistoryEntry{{Identity: "id-b-then", Status: state.StatusComplete, RunDir: "gone", Result: &result.Result{Score: 0.5}}}
	st := &state.File{Resources: map[string]*state.Resource{`suite.s.run["m"]["a"]`: a, `suite.s.run["m"]["b"]`: b}}

	doc := Build(cfg, st, "evalplan.state.json", t2)
	got := doc.Suites[0].Benchmarks[0].Comparisons
	// a − b is computed from the journals (both runs' directory is "now"): apply records no
	// comparison that nothing reads, and the report compares the journals instead.
	want := []Comparison{{New: "a", Base: "b", Metric: "acc", Stderr: ptr(0.0), CI95: &[2]float64{0, 0}, N: 2, Errored: 1}, {
		New: "a", Base: "a (previous id-then-0123)", Metric: "acc", Diff: -0.5, Stderr: ptr(0.5), CI95: &[2]float64{-0.5 - 1.96*0.5, -0.5 + 1.96*0.5},
		N: 2, Errored: 1, Unmatched: 1, Previous: true, BaseIdentity: "id-then-0123456789",
	}}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("comparisons (-want +got):\n%s", diff)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, doc); err != nil {
		t.Fatal(err)
	}
	if row := "| a − a (previous id-then-0123) | -0.500 | 0.500 |"; !strings.Contains(md.String(), row) {
		t.Errorf("markdown lacks %q:\n%s", row, md.String())
	}
}
