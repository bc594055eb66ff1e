package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeJournal writes a run directory under dir whose journal scores each sample of
// scores (ids 1, 2, ...) on acc.
func writeJournal(t *testing.T, dir, run string, scores ...string) {
	t.Helper()
	var b strings.Builder
	for i, s := range scores {
		b.WriteString(`{"id":"` + string(rune('1'+i)) + `","score":{"acc":` + s + `},"error":null}` + "\n")
	}
	if err := os.MkdirAll(filepath.Join(dir, run), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, run, compare.JournalFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func complete(identity, runDir string, score float64) *state.Resource {
	return &state.Resource{
		Type: "run", Identity: identity, Status: state.StatusComplete, RunDir: runDir,
		Result: &result.Result{Score: score, Primary: "acc", N: 4, Metrics: map[string]result.Metric{"acc": {Value: score, N: 4}}},
	}
}

func TestCompareEndpoints(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir, "new", "1", "1", "1", "0")
	writeJournal(t, dir, "base", "0", "1", "0", "0")
	cfg := &config.Config{Dir: dir}
	fromJournals := compare.Paired(
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 1}}, "2": {Score: map[string]float64{"acc": 1}}, "3": {Score: map[string]float64{"acc": 1}}, "4": {Score: map[string]float64{"acc": 0}}},
		map[string]compare.Sample{"1": {Score: map[string]float64{"acc": 0}}, "2": {Score: map[string]float64{"acc": 1}}, "3": {Score: map[string]float64{"acc": 0}}, "4": {Score: map[string]float64{"acc": 0}}},
		"acc")
	current := &compare.Comparison{Stat: compare.Stat{Diff: 0.25, N: 9}, Metric: "acc", Identity: "n1", BaseIdentity: "b1"}

	withRecorded := func(r *state.Resource, base string, c *compare.Comparison) *state.Resource {
		r.Compare = map[string]any{base: recorded(t, c)}
		return r
	}
	failed := &state.Resource{Type: "run", Identity: "f", Status: state.StatusFailed}
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
	cfg := &config.Config{Dir: dir}
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
		{name: "no earlier result", r: withHistory(), wantErr: `suite.s.run["m"]["a"] has no earlier complete result whose run directory still exists`},
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
