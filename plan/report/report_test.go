package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

// update rewrites testdata/fixture.* from what the renderers write:
//
//	go test ./plan/report -run TestWriteGolden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 = t0.Add(time.Hour)
	t2 = t0.Add(2 * time.Hour)
)

func ptr[T any](v T) *T { return &v }

// metric is a summary with a standard error and its 95% interval.
func metric(v, se float64, n int) result.Metric {
	return result.Metric{Value: v, Stderr: &se, CI95: &[2]float64{v - 1.96*se, v + 1.96*se}, N: n}
}

// outcome is a result whose primary metric is m.
func outcome(primary string, m result.Metric, errors int) *result.Result {
	return &result.Result{Score: m.Value, Primary: primary, N: m.N, Errors: errors, Metrics: map[string]result.Metric{primary: m}}
}

// recorded is a comparison as apply records it in state: plain JSON values.
func recorded(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// fixtureConfig declares suites quick (endpoints b, a; GSM8K then MMLU) and full (a; GSM8K).
func fixtureConfig() *config.Config {
	return &config.Config{Dir: "/work/eval", Suites: map[string]*config.Suite{
		"quick": {
			Name: "quick", Endpoints: []string{"b", "a"},
			Benchmarks: []config.BenchmarkRef{{Name: "gsm8k", Canonical: "native.gsm8k"}, {Name: "native.mmlu", Canonical: "native.mmlu"}},
			DeclRange:  hcl.Range{Filename: "eval.hcl", Start: hcl.Pos{Byte: 100}},
		},
		"full": {
			Name: "full", Endpoints: []string{"a"},
			Benchmarks: []config.BenchmarkRef{{Name: "native.gsm8k"}},
			DeclRange:  hcl.Range{Filename: "eval.hcl", Start: hcl.Pos{Byte: 300}},
		},
	}}
}

// fixtureState has runs of both suites, of an endpoint (z) and a benchmark (native.arc)
// the configuration no longer has, and of a suite (old) only state knows.
func fixtureState(t *testing.T) *state.File {
	subA := map[string]map[string]result.Metric{"subject": {"biology": metric(0.8, 0.1, 20), "law": metric(0.5, 0.11, 20)}}
	subB := map[string]map[string]result.Metric{"subject": {"biology": {Value: 0.7, N: 1}}}
	mmluA, mmluB := outcome("accuracy", metric(0.65, 0.05, 40), 0), outcome("accuracy", metric(0.7, 0.09, 20), 2)
	mmluA.Subscores, mmluB.Subscores = subA, subB
	return &state.File{Serial: 7, Resources: map[string]*state.Resource{
		"endpoint.a": {Type: "endpoint", Identity: "ea"},
		`suite.quick.run["native.gsm8k"]["b"]`: {
			Type: "run", Identity: "b-gsm8k-3", Status: state.StatusComplete, RunDir: "output/quick/b/3", FinishedAt: &t2,
			Result: outcome("flexible_extract", metric(0.6, 0.04, 150), 0),
			History: []state.HistoryEntry{
				{Identity: "b-gsm8k-1", Status: state.StatusComplete, RunDir: "output/quick/b/1", FinishedAt: &t0, Result: outcome("flexible_extract", metric(0.5, 0.05, 100), 0)},
				{Identity: "b-gsm8k-2", Status: state.StatusFailed, FinishedAt: &t1},
			},
			Compare: map[string]any{"a": recorded(t, map[string]any{
				"metric": "flexible_extract", "diff": -0.1, "stderr": 0.03, "ci95": []float64{-0.1588, -0.0412}, "n": 150, "significant": true,
				"excluded": map[string]int{"errored": 1, "unmatched": 4},
			})},
		},
		`suite.quick.run["native.gsm8k"]["a"]`: {
			Type: "run", Identity: "a-gsm8k-1", Status: state.StatusComplete, FinishedAt: &t1,
			Result: outcome("flexible_extract", metric(0.7, 0.037, 150), 0),
		},
		`suite.quick.run["native.gsm8k"]["z"]`: {
			Type: "run", Identity: "z-gsm8k-1", Status: state.StatusFailed, Error: "every request failed | HTTP 500",
		},
		`suite.quick.run["native.mmlu"]["a"]`:  {Type: "run", Identity: "a-mmlu", Status: state.StatusComplete, Result: mmluA},
		`suite.quick.run["native.mmlu"]["b"]`:  {Type: "run", Identity: "b-mmlu", Status: state.StatusPartial, Result: mmluB},
		`suite.quick.run["native.arc"]["a"]`:   {Type: "run", Identity: "a-arc", Status: state.StatusComplete, Result: &result.Result{Score: 2.4, Primary: "points", N: 1, Metrics: map[string]result.Metric{"points": {Value: 2.4, N: 1}}}},
		`suite.old.run["native.gsm8k"]["a"]`:   {Type: "run", Identity: "a-old", Status: state.StatusRunning},
		`suite.full.run["native.gsm8k"]["a"]`:  {Type: "run", Identity: "a-full", Status: state.StatusComplete, Result: outcome("flexible_extract", metric(0.72, 0.02, 1319), 0)},
		`suite.full.something["native.gsm8k"]`: {Type: "run", Identity: "not-a-run-address"},
	}}
}

// wantRun is the report of a run with result res and no history.
func wantRun(addr, endpoint, status, identity string, res *result.Result) Run {
	r := Run{Endpoint: endpoint, Address: addr, Status: status}
	if res != nil {
		m := res.Metrics[res.Primary]
		r.Score, r.Stderr, r.CI95, r.N, r.Errors, r.Metrics = &res.Score, m.Stderr, m.CI95, res.N, res.Errors, res.Metrics
	}
	r.History = []Point{{Identity: identity, Status: status, Score: r.Score, CI95: r.CI95, N: r.N}}
	return r
}

func TestBuild(t *testing.T) {
	st := fixtureState(t)
	res := func(addr string) *result.Result { return st.Resources[addr].Result }

	bGSM := wantRun(`suite.quick.run["native.gsm8k"]["b"]`, "b", "complete", "b-gsm8k-3", res(`suite.quick.run["native.gsm8k"]["b"]`))
	bGSM.RunDir, bGSM.FinishedAt = "output/quick/b/3", &t2
	prev := Point{Identity: "b-gsm8k-1", Status: "complete", Score: ptr(0.5), CI95: metric(0.5, 0.05, 100).CI95, N: 100, FinishedAt: &t0}
	now, before := 0.6, 0.5
	bGSM.Previous, bGSM.Change = &prev, ptr(now-before)
	bGSM.History = []Point{prev, {Identity: "b-gsm8k-2", Status: "failed", FinishedAt: &t1}, {Identity: "b-gsm8k-3", Status: "complete", Score: ptr(0.6), CI95: bGSM.CI95, N: 150, FinishedAt: &t2}}
	aGSM := wantRun(`suite.quick.run["native.gsm8k"]["a"]`, "a", "complete", "a-gsm8k-1", res(`suite.quick.run["native.gsm8k"]["a"]`))
	aGSM.FinishedAt, aGSM.History[0].FinishedAt = &t1, &t1
	zGSM := wantRun(`suite.quick.run["native.gsm8k"]["z"]`, "z", "failed", "z-gsm8k-1", nil)
	zGSM.Error = "every request failed | HTTP 500"

	full := &Doc{
		GeneratedAt: t2, State: "evalplan.state.json", Serial: 7,
		Counts: map[string]int{"complete": 5, "failed": 1, "partial": 1, "running": 1},
		Suites: []Suite{
			{
				Name: "quick", Endpoints: []string{"b", "a", "z"},
				Benchmarks: []Benchmark{
					{
						Name: "native.gsm8k", Primary: "flexible_extract",
						Runs: []Run{bGSM, aGSM, zGSM},
						Comparisons: []Comparison{{
							New: "b", Base: "a", Metric: "flexible_extract", Diff: -0.1, Stderr: ptr(0.03), CI95: &[2]float64{-0.1588, -0.0412},
							N: 150, Significant: true, Errored: 1, Unmatched: 4,
						}},
					},
					{
						Name: "native.mmlu", Primary: "accuracy",
						Runs: []Run{
							wantRun(`suite.quick.run["native.mmlu"]["b"]`, "b", "partial", "b-mmlu", res(`suite.quick.run["native.mmlu"]["b"]`)),
							wantRun(`suite.quick.run["native.mmlu"]["a"]`, "a", "complete", "a-mmlu", res(`suite.quick.run["native.mmlu"]["a"]`)),
						},
						Subscores: []SubscoreTable{{Group: "subject", Rows: []SubscoreRow{
							{Name: "biology", Values: map[string]result.Metric{"a": metric(0.8, 0.1, 20), "b": {Value: 0.7, N: 1}}},
							{Name: "law", Values: map[string]result.Metric{"a": metric(0.5, 0.11, 20)}},
						}}},
					},
					{
						Name: "native.arc", Primary: "points",
						Runs: []Run{wantRun(`suite.quick.run["native.arc"]["a"]`, "a", "complete", "a-arc", res(`suite.quick.run["native.arc"]["a"]`))},
					},
				},
			},
			{
				Name: "full", Endpoints: []string{"a"},
				Benchmarks: []Benchmark{{
					Name: "native.gsm8k", Primary: "flexible_extract",
					Runs: []Run{wantRun(`suite.full.run["native.gsm8k"]["a"]`, "a", "complete", "a-full", res(`suite.full.run["native.gsm8k"]["a"]`))},
				}},
			},
			{
				Name: "old", Endpoints: []string{"a"},
				Benchmarks: []Benchmark{{
					Name: "native.gsm8k",
					Runs: []Run{wantRun(`suite.old.run["native.gsm8k"]["a"]`, "a", "running", "a-old", nil)},
				}},
			},
		},
	}

	tests := []struct {
		name string
		cfg  *config.Config
		st   *state.File
		want *Doc
	}{
		{name: "configuration order, then state's", cfg: fixtureConfig(), st: st, want: full},
		{
			name: "empty state",
			cfg:  fixtureConfig(),
			st:   &state.File{Serial: 1, Resources: map[string]*state.Resource{}},
			want: &Doc{GeneratedAt: t2, State: "evalplan.state.json", Serial: 1, Counts: map[string]int{}},
		},
		{
			name: "without a configuration, suites, benchmarks and endpoints by name",
			cfg:  &config.Config{Dir: "/work/eval"},
			st: &state.File{Resources: map[string]*state.Resource{
				`suite.y.run["m"]["b"]`: {Type: "run", Identity: "1", Status: "failed"},
				`suite.y.run["m"]["a"]`: {Type: "run", Identity: "2", Status: "failed"},
				`suite.x.run["n"]["c"]`: {Type: "run", Identity: "3", Status: "failed"},
				`suite.x.run["k"]["c"]`: {Type: "run", Identity: "4", Status: "failed"},
			}},
			want: &Doc{GeneratedAt: t2, State: "evalplan.state.json", Counts: map[string]int{"failed": 4}, Suites: []Suite{
				{Name: "x", Endpoints: []string{"c"}, Benchmarks: []Benchmark{
					{Name: "k", Runs: []Run{wantRun(`suite.x.run["k"]["c"]`, "c", "failed", "4", nil)}},
					{Name: "n", Runs: []Run{wantRun(`suite.x.run["n"]["c"]`, "c", "failed", "3", nil)}},
				}},
				{Name: "y", Endpoints: []string{"a", "b"}, Benchmarks: []Benchmark{
					{Name: "m", Runs: []Run{wantRun(`suite.y.run["m"]["a"]`, "a", "failed", "2", nil), wantRun(`suite.y.run["m"]["b"]`, "b", "failed", "1", nil)}},
				}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Build(tt.cfg, tt.st, "evalplan.state.json", t2)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Build (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrderEndpoints(t *testing.T) {
	tests := []struct {
		name       string
		order, eps []string
		want       []string
	}{
		{name: "configuration order", order: []string{"c", "a", "b"}, eps: []string{"a", "b", "c"}, want: []string{"c", "a", "b"}},
		{name: "unknown endpoints last, by name", order: []string{"b"}, eps: []string{"z", "b", "m"}, want: []string{"b", "m", "z"}},
		{name: "no order", eps: []string{"b", "a"}, want: []string{"a", "b"}},
		{name: "none", order: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps := append([]string(nil), tt.eps...)
			got := orderEndpoints(tt.order, eps)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("orderEndpoints (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.eps, eps); diff != "" {
				t.Errorf("orderEndpoints changed its argument (-before +after):\n%s", diff)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	var got []string
	for name, f := range Formats() {
		if f == nil {
			t.Errorf("Formats()[%q] is nil", name)
		}
		got = append(got, name)
	}
	want := []string{"csv", "html", "json", "md"}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("Formats (-want +got):\n%s", diff)
	}
}

// TestWriteGolden renders the fixture in every format and compares with
// testdata/fixture.FORMAT.
func TestWriteGolden(t *testing.T) {
	doc := Build(fixtureConfig(), fixtureState(t), "evalplan.state.json", t2)
	for name, write := range Formats() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b, doc); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "fixture."+name)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s (-want +got); run with -update if the change is meant:\n%s", path, diff)
			}
		})
	}
}

func TestWriteJSONRoundTrip(t *testing.T) {
	doc := Build(fixtureConfig(), fixtureState(t), "evalplan.state.json", t2)
	var b bytes.Buffer
	if err := WriteJSON(&b, doc); err != nil {
		t.Fatal(err)
	}
	var got Doc
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, &got); diff != "" {
		t.Errorf("WriteJSON, read back (-written +read):\n%s", diff)
	}
}

// TestUnscoredResultHasNoScore: a state written before apply dropped results without a
// scored sample may hold one (n = 0, score 0); the report shows the run's status, never
// 0.000, and such a history entry is no previous score.
func TestUnscoredResultHasNoScore(t *testing.T) {
	empty := &result.Result{Primary: "flexible_extract", Errors: 5, Metrics: map[string]result.Metric{"flexible_extract": {}}}
	r := &state.Resource{
		Type: "run", Identity: "i2", Status: state.StatusPartial, Result: empty,
		History: []state.HistoryEntry{{Identity: "i1", Status: state.StatusPartial, Result: empty}},
	}
	got := newRun("suite.s.run", "a", r)
	want := Run{Endpoint: "a", Address: "suite.s.run", Status: "partial", History: []Point{
		{Identity: "i1", Status: "partial"}, {Identity: "i2", Status: "partial"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run (-want +got):\n%s", diff)
	}
	if cell := runCell(got); cell != "**partial**" {
		t.Errorf("runCell = %q, want **partial**", cell)
	}
}

func TestWriteMarkdownEscapesHTML(t *testing.T) {
	score := 0.5
	doc := &Doc{
		State: "st`ate<b>.json",
		Suites: []Suite{{
			Name:      "s<i>",
			Endpoints: []string{"<img src=x onerror=alert(1)>"},
			Benchmarks: []Benchmark{{
				Name:    "b<script>",
				Primary: "acc<script>",
				Runs: []Run{
					{Endpoint: "<img src=x onerror=alert(1)>", Status: "failed", Error: "server returned HTTP 500: <script>alert(1)</script>\nsecond | line"},
					{Endpoint: "e2", Status: "partial<b>", Score: &score, N: 3},
				},
				Subscores: []SubscoreTable{{Group: "g<script>", Rows: []SubscoreRow{{Name: "r<script>"}}}},
			}},
		}},
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, doc); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, raw := range []string{"<script", "<img", "<i>", "partial<b>", "second | line"} {
		if diff := cmp.Diff(false, strings.Contains(out, raw)); diff != "" {
			t.Errorf("report.md holds %q raw (-want +got):\n%s\n%s", raw, diff, out)
		}
	}
	for _, want := range []string{
		"- **failed** on &lt;img src=x onerror=alert(1)&gt;: server returned HTTP 500: &lt;script&gt;alert(1)&lt;/script&gt; second \\| line",
		"## Suite s&lt;i&gt;",
		"**partial&lt;b&gt;**",
		"`st'ate<b>.json`", // inside a code span HTML is text

	} {
		if diff := cmp.Diff(true, strings.Contains(out, want)); diff != "" {
			t.Errorf("report.md lacks %q (-want +got):\n%s\n%s", want, diff, out)
		}
	}
}

// TestWriteCSVEveryMetric pins docs/cli.md's promise: one row per run and metric, the
// primary first, then the others by name.
func TestWriteCSVEveryMetric(t *testing.T) {
	doc := &Doc{Suites: []Suite{{Name: "s", Endpoints: []string{"a"}, Benchmarks: []Benchmark{{
		Name: "native.gsm8k", Primary: "strict",
		Runs: []Run{{Endpoint: "a", Status: "complete", Score: ptr(0.5), N: 2, Metrics: map[string]result.Metric{
			"strict":   {Value: 0.5, N: 2},
			"flexible": {Value: 1, N: 2},
			"accuracy": {Value: 0.25, N: 2},
		}}},
	}}}}}
	var b bytes.Buffer
	if err := WriteCSV(&b, doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
		got = append(got, strings.Split(line, ",")[6]+"="+strings.Split(line, ",")[7])
	}
	want := []string{"strict=0.5", "accuracy=0.25", "flexible=1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metric rows (-want +got):\n%s", diff)
	}
}

// TestRunCellN: a run whose runner could not tell n says so, never n=0.
func TestRunCellN(t *testing.T) {
	score := 0.5
	tests := []struct {
		run  Run
		want string
	}{
		{Run{Score: &score, N: 120, Status: "complete"}, "0.500 n=120"},
		{Run{Score: &score, NUnknown: true, Status: "complete"}, "0.500 n unknown"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, runCell(tt.run)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

// TestNoSamples: a run whose run directory has no journal (a container harness that writes
// no per-sample output) is named in the report, which says that its per-sample scores are not
// available; a run with a journal is not.
func TestNoSamples(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"output/s/a", "output/s/b"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "output/s/b", rundir.JournalFile), []byte(`{"id":"0","score":{"score_micro":1}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Dir: dir, Settings: config.Settings{OutputDir: filepath.Join(dir, "output")}, Suites: map[string]*config.Suite{"s": {Name: "s", Endpoints: []string{"a", "b"},
		Benchmarks: []config.BenchmarkRef{{Name: "simple_evals.mmlu", Canonical: "simple_evals.mmlu"}}}}}
	res := outcome("score_micro", metric(0.4, 0.04, 120), 0)
	st := &state.File{Resources: map[string]*state.Resource{
		`suite.s.run["simple_evals.mmlu"]["a"]`: {Type: "run", Identity: "a", Status: state.StatusComplete, RunDir: "output/s/a", Result: res},
		`suite.s.run["simple_evals.mmlu"]["b"]`: {Type: "run", Identity: "b", Status: state.StatusComplete, RunDir: "output/s/b", Result: res},
	}}
	doc := Build(cfg, st, "", t2)
	if got := doc.Suites[0].Benchmarks[0].NoSamples; !slices.Equal(got, []string{"a"}) {
		t.Errorf("NoSamples = %v, want [a]", got)
	}
	for name, write := range map[string]func(io.Writer, *Doc) error{"md": WriteMarkdown, "html": WriteHTML} {
		var b strings.Builder
		if err := write(&b, doc); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "Per-sample scores are not available for the run on a:") {
			t.Errorf("%s report does not say that a's run has no per-sample scores:\n%s", name, b.String())
		}
	}
}
