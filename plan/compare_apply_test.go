package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// journalRunner writes each endpoint's scripted journal ("1", "0" or "err" per sample) and
// ends the run partial when a sample errored, failed when the endpoint has no script.
type journalRunner struct {
	plantest.Planner
	samples map[string][]string
}

func (j journalRunner) Run(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (*plan.Outcome, error) {
	script, ok := j.samples[spec.Endpoint.Name]
	if !ok {
		return &plan.Outcome{Status: state.StatusFailed, Error: "scripted failure"}, nil
	}
	var b strings.Builder
	var m result.Mean
	errs := 0
	for i, s := range script {
		id := string(rune('1' + i))
		if s == "err" {
			errs++
			b.WriteString(`{"id":"` + id + `","score":{},"error":"HTTP 500"}` + "\n")
			continue
		}
		b.WriteString(`{"id":"` + id + `","score":{"accuracy":` + s + `},"error":null}` + "\n")
		m.Add(map[string]float64{"0": 0, "1": 1}[s])
	}
	if err := os.WriteFile(filepath.Join(spec.RunDir, rundir.JournalFile), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	res := &result.Result{Score: m.Metric().Value, Primary: "accuracy", N: m.Metric().N, Errors: errs, Metrics: map[string]result.Metric{"accuracy": m.Metric()}}
	out := &plan.Outcome{Status: state.StatusComplete, Result: res}
	if errs > 0 {
		out.Status, out.Error = state.StatusPartial, "some samples failed"
	}
	return out, nil
}

const threeEndpoints = `
endpoint "a" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-a"
}
endpoint "b" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-b"
}
endpoint "c" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-c"
}
dataset "d" {
  source = "data.jsonl"
  sha256 = "%064d"
}
suite "s" {
  endpoints  = [endpoint.a, endpoint.b, endpoint.c]
  benchmarks = ["native.gsm8k"]
  benchmark "native.gsm8k" {
    dataset = dataset.d
  }
}
output "compare" {
  value = suite.s.compare
}
`

// TestApplyComparesPartialRuns applies a suite where a completes, b ends partial (one
// sample errored) and c fails: a and b are compared both ways on the samples both
// answered, the errored one excluded and counted; c has no comparison; the expression
// value suite.s.compare is exactly what state records.
func TestApplyComparesPartialRuns(t *testing.T) {
	e := newEnv(t)
	e.engine.Runners["native"] = journalRunner{samples: map[string][]string{
		"a": {"1", "1", "0", "1"},
		"b": {"0", "err", "0", "1"},
	}}
	e.write(strings.Replace(threeEndpoints, "%064d", strings.Repeat("0", 64), 1))
	e.apply(e.plan(plan.Options{Refresh: true}))

	st := e.state()
	run := func(ep string) *state.Resource {
		return st.Resources[addrs.Run{Suite: "s", Benchmark: "native.gsm8k", Endpoint: ep}.String()]
	}
	if run("b").Status != state.StatusPartial || run("c").Status != state.StatusFailed {
		t.Fatalf("statuses: b %s, c %s; want partial and failed", run("b").Status, run("c").Status)
	}
	type summary struct {
		Diff     float64
		N        int
		Excluded compare.Excluded
	}
	got := map[string]summary{}
	for _, ep := range []string{"a", "b", "c"} {
		for base, v := range run(ep).Compare {
			c, err := compare.Decode(v)
			if err != nil {
				t.Fatal(err)
			}
			got[ep+"-"+base] = summary{c.Diff, c.N, c.Excluded}
		}
	}
	want := map[string]summary{
		"a-b": {Diff: 1.0 / 3, N: 3, Excluded: compare.Excluded{Errored: 1, ErroredBase: 1}},
		"b-a": {Diff: -1.0 / 3, N: 3, Excluded: compare.Excluded{Errored: 1, ErroredNew: 1}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("comparisons in state (-want +got):\n%s", diff)
	}

	// suite.s.compare holds the same comparisons as state, the partial run's included.
	wantOut := map[string]any{}
	for _, ep := range []string{"a", "b"} {
		v, err := state.Normalize(run(ep).Compare)
		if err != nil {
			t.Fatal(err)
		}
		wantOut[ep] = v
	}
	if diff := cmp.Diff(map[string]any{"native.gsm8k": wantOut}, st.Outputs["compare"].Value); diff != "" {
		t.Errorf("output suite.s.compare differs from state (-state +output):\n%s", diff)
	}
}
