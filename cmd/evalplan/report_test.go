package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/report"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
)

// The fixtures of these tests are in testdata/compare (see its README.txt): 200 GSM8K test
// problems and 40 records of each of three MMLU subjects.
const gsm8k200SHA = "bd70035c7acaf107b4e0d077c605a23c3d3a0acb4342e5bc60099e6ad9ff4284"

// workspace is a configuration directory with the fixtures copied in, run through the CLI
// in-process against simulated endpoints.
type workspace struct {
	t   *testing.T
	dir string
	env []string
}

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, "testdata/compare", filepath.Join(dir, "data"))
	return &workspace{t: t, dir: dir, env: []string{"NO_COLOR=1"}}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sim starts a simulator that serves each model of acc with that accuracy on the
// fixtures, and returns its base URL.
func (w *workspace) sim(acc map[string]float64, faults sim.Faults) string {
	w.t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Models, cfg.ModelAccuracy, cfg.Faults = nil, acc, faults
	for m := range acc {
		cfg.Models = append(cfg.Models, m)
	}
	sort.Strings(cfg.Models)
	mmlu, _ := filepath.Glob(filepath.Join(w.dir, "data/mmlu/*.csv"))
	cfg.Datasets = append([]string{filepath.Join(w.dir, "data/gsm8k_200.jsonl")}, mmlu...)
	s, err := sim.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	w.t.Cleanup(func() { s.Close(); srv.Close() })
	return srv.URL + "/v1"
}

func (w *workspace) write(name, text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// run runs evalplan with args in the workspace and returns its exit code and output.
func (w *workspace) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, environ: w.env}
	code = c.main(append([]string{"-chdir=" + w.dir}, args...))
	return code, out.String(), errb.String()
}

func (w *workspace) state() *state.File {
	w.t.Helper()
	st, err := state.Load(filepath.Join(w.dir, "evalplan.state.json"))
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// pairConfig is two endpoints on one simulator, GSM8K (limit samples) and MMLU, and the
// checks given.
const pairConfig = `
variable "url" {
  type = string
}

variable "limit" {
  type    = number
  default = 200
}

endpoint "a" {
  url   = var.url
  model = "model-a"
}

endpoint "b" {
  url   = var.url
  model = "model-b"
}

dataset "gsm8k" {
  source = "data/gsm8k_200.jsonl"
  sha256 = "%s"
}

dataset "mmlu" {
  source = "data/mmlu/*.csv"
}

suite "s" {
  endpoints  = [endpoint.a, endpoint.b]
  benchmarks = ["native.gsm8k", "native.mmlu"]
  params {
    limit_samples = var.limit
    sample        = "first"
    parallelism   = 16
  }
  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k
  }
  benchmark "native.mmlu" {
    dataset = dataset.mmlu
  }
}
%s
`

// TestCompareEndToEnd runs two simulated endpoints through the real engine and native
// runner: the paired comparison is significant for a large gap and not for a small one, and
// checks on it pass or fail (exit 4) as they should.
func TestCompareEndToEnd(t *testing.T) {
	tests := []struct {
		name        string
		accA, accB  float64
		check       string
		significant bool
		code        int
		stderr      string
	}{
		{
			name: "large gap, a better", accA: 0.9, accB: 0.5, significant: true, code: exitOK,
			check: `suite.s.compare["native.gsm8k"]["a"]["b"].diff > 0`,
		},
		{
			name: "large gap, check fails", accA: 0.9, accB: 0.5, significant: true, code: exitCheckFailed,
			check:  `suite.s.compare["native.gsm8k"]["b"]["a"].diff > 0`,
			stderr: `Check failed: check.gate: gate failed (suite.s.compare["native.gsm8k"]["b"]["a"].diff = -0.`,
		},
		{
			name: "small gap is not significant", accA: 0.72, accB: 0.70, significant: false, code: exitOK,
			check: `!suite.s.compare["native.gsm8k"]["a"]["b"].significant`,
		},
		{
			name: "small gap, significance required", accA: 0.72, accB: 0.70, significant: false, code: exitCheckFailed,
			check:  `suite.s.compare["native.gsm8k"]["a"]["b"].significant`,
			stderr: `Check failed: check.gate: gate failed (suite.s.compare["native.gsm8k"]["a"]["b"].significant = false)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t)
			url := w.sim(map[string]float64{"model-a": tt.accA, "model-b": tt.accB}, sim.Faults{})
			w.env = append(w.env, "EVALPLAN_VAR_url="+url)
			w.write("eval.hcl", fmt.Sprintf(pairConfig, gsm8k200SHA, fmt.Sprintf("check \"gate\" {\n  condition     = %s\n  error_message = \"gate failed\"\n}\n", tt.check)))
			code, stdout, stderr := w.run("apply", "-auto-approve", "-no-color")
			if code != tt.code {
				t.Fatalf("apply exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if tt.stderr != "" && !strings.Contains(stderr, tt.stderr) {
				t.Errorf("apply stderr does not contain %q:\n%s", tt.stderr, stderr)
			}
			code, stdout, stderr = w.run("check", "-no-color")
			if code != tt.code {
				t.Errorf("check exit code %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}

			code, stdout, stderr = w.run("compare", "-json", "a", "b")
			if code != exitOK {
				t.Fatalf("compare exit code %d\n%s%s", code, stdout, stderr)
			}
			var rows []report.Pair
			if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
				t.Fatalf("compare -json: %v\n%s", err, stdout)
			}
			got := map[string]report.Pair{}
			for _, r := range rows {
				got[r.Benchmark] = r
			}
			g, ok := got["native.gsm8k"]
			if !ok || len(rows) != 2 {
				t.Fatalf("compare rows = %+v; want native.gsm8k and native.mmlu", rows)
			}
			if g.Significant != tt.significant || g.N != 200 || g.Metric != "flexible_extract" || g.Excluded.Errored != 0 {
				t.Errorf("GSM8K comparison = %+v (stderr %v, ci95 %v); want significant=%v on 200 samples", *g.Comparison, deref(g.Stderr), deref(g.CI95), tt.significant)
			}
			st := w.state()
			ra := st.Resources[`suite.s.run["native.gsm8k"]["a"]`]
			rb := st.Resources[`suite.s.run["native.gsm8k"]["b"]`]
			wantDiff := ra.Result.Score - rb.Result.Score
			if d := g.Diff - wantDiff; d > 1e-9 || d < -1e-9 {
				t.Errorf("diff %v, want the score difference %v (no sample errored)", g.Diff, wantDiff)
			}
			// State records only the comparison the check reads, not every ordered pair.
			read, other, readBase, otherBase := ra, rb, "b", "a"
			if strings.Contains(tt.check, `["b"]["a"]`) {
				read, other, readBase, otherBase = rb, ra, "a", "b"
			}
			if _, ok := read.Compare[readBase]; !ok || len(read.Compare) != 1 {
				t.Errorf("the run the check reads has comparisons %v in state; want only the one with %s", read.Compare, readBase)
			}
			if _, ok := other.Compare[otherBase]; ok {
				t.Errorf("a comparison no check or output reads is in state: %v", other.Compare)
			}
			if m := st.Resources[`suite.s.run["native.mmlu"]["a"]`]; m != nil && len(m.Compare) > 0 {
				t.Errorf("native.mmlu's run has comparisons %v in state; nothing reads them", m.Compare)
			}

			code, stdout, _ = w.run("compare", "a", "b")
			verdictWord := "not significant"
			if tt.significant {
				verdictWord = "significant"
			}
			if code != exitOK || !strings.Contains(stdout, "native.gsm8k") || !strings.Contains(stdout, "  "+verdictWord+"\n") {
				t.Errorf("compare a b (exit %d):\n%s\nwant a native.gsm8k line ending %q", code, stdout, verdictWord)
			}
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestComparePrevious compares a run with its previous result: the same model on the 150
// samples both runs share differs by nothing.
func TestComparePrevious(t *testing.T) {
	w := newWorkspace(t)
	url := w.sim(map[string]float64{"model-a": 0.8, "model-b": 0.6}, sim.Faults{})
	w.env = append(w.env, "EVALPLAN_VAR_url="+url)
	w.write("eval.hcl", fmt.Sprintf(pairConfig, gsm8k200SHA, ""))
	if code, stdout, stderr := w.run("apply", "-auto-approve", "-var", "limit=150"); code != exitOK {
		t.Fatalf("apply exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := w.run("apply", "-auto-approve"); code != exitOK {
		t.Fatalf("apply exit %d\n%s%s", code, stdout, stderr)
	}
	// A no-op apply rereads no journal and leaves the state (and its serial) alone.
	serial := w.state().Serial
	if code, stdout, stderr := w.run("apply", "-auto-approve"); code != exitOK || w.state().Serial != serial {
		t.Fatalf("no-op apply: exit %d, serial %d → %d\n%s%s", code, serial, w.state().Serial, stdout, stderr)
	}
	code, stdout, stderr := w.run("compare", "-json", "-previous", `suite.s.run[native.gsm8k][a]`)
	if code != exitOK {
		t.Fatalf("compare -previous exit %d\n%s%s", code, stdout, stderr)
	}
	var rows []report.Pair
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("compare -previous -json: %v\n%s", err, stdout)
	}
	r := rows[0]
	if r.N != 150 || r.Diff != 0 || r.Significant || r.Excluded.Unmatched != 50 {
		t.Errorf("now vs previous = %+v; want n=150, diff 0, 50 unmatched, not significant", *r.Comparison)
	}
	code, _, stderr = w.run("compare", "-previous", `suite.s.run[native.gsm8k][nope]`)
	if code != exitError || !strings.Contains(stderr, "no run") {
		t.Errorf("compare -previous of an unknown run: exit %d, %s", code, stderr)
	}

	// The report shows the change since the previous result and both formats agree.
	code, stdout, stderr = w.run("report", "-format", "json")
	if code != exitOK {
		t.Fatalf("report -format json exit %d\n%s", code, stderr)
	}
	var doc report.Doc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Suites[0].Benchmarks[0].Runs[0]
	if run.Address != `suite.s.run["native.gsm8k"]["a"]` || run.Previous == nil || run.Change == nil || len(run.History) != 2 {
		t.Errorf("report run = %+v; want a's GSM8K run with its previous result and change", run)
	}
	code, stdout, _ = w.run("report")
	for _, want := range []string{"## Suite s\n", "| native.gsm8k | flexible_extract | 0.", "| a − b | ", "| subject | a | b |\n", "| college_biology | "} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("report (markdown, exit %d) lacks %q:\n%s", code, want, stdout)
		}
	}
	code, stdout, _ = w.run("report", "-format", "csv")
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != exitOK || err != nil {
		t.Fatalf("report -format csv: exit %d, %v", code, err)
	}
	header := []string{"suite", "benchmark", "endpoint", "status", "group", "name", "metric", "value", "stderr", "ci95_lo", "ci95_hi", "n", "errors", "previous", "change"}
	if diff := cmp.Diff(header, recs[0]); diff != "" {
		t.Errorf("csv header (-want +got):\n%s", diff)
	}
	if got := recs[1][:4]; !cmp.Equal(got, []string{"s", "native.gsm8k", "a", "complete"}) || recs[1][13] == "" || recs[1][14] == "" {
		t.Errorf("first csv row = %q; want a's GSM8K run with previous and change", recs[1])
	}
}
