package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

// oneSampleRunner completes every run with one scored sample, journaled like a real run's.
type oneSampleRunner struct{ fakeRunner }

func (f *oneSampleRunner) Run(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (*plan.Outcome, error) {
	line := `{"id":"s0","score":{"accuracy":1},"error":null}` + "\n"
	if err := os.WriteFile(filepath.Join(spec.RunDir, rundir.JournalFile), []byte(line), 0o644); err != nil {
		return nil, err
	}
	var m result.Mean
	m.Add(1)
	return &plan.Outcome{Status: state.StatusComplete, Result: &result.Result{Score: 1, Primary: "accuracy", N: 1, Metrics: map[string]result.Metric{"accuracy": m.Metric()}}}, nil
}

// scaleConfig is a suite of the comprehensive preset against n endpoints, one sample each.
func scaleConfig(n int) string {
	var b strings.Builder
	var refs []string
	for i := range n {
		fmt.Fprintf(&b, "endpoint \"e%02d\" {\n  url = \"http://127.0.0.1:1/v1\"\n  model = \"m%d\"\n  capabilities = [\"logprobs\", \"vision\", \"embedding\"]\n}\n", i, i)
		refs = append(refs, fmt.Sprintf("endpoint.e%02d", i))
	}
	fmt.Fprintf(&b, "suite \"all\" {\n  endpoints = [%s]\n  preset = \"comprehensive\"\n  params {\n    limit_samples = 1\n  }\n}\n", strings.Join(refs, ", "))
	return b.String()
}

// BenchmarkApply1000 applies 1,000 one-sample runs (the comprehensive preset against four
// endpoints) with a runner that returns at once, against a state.Store on disk, at the
// default parallelism: the cost of apply's own bookkeeping (state writes, comparisons,
// outputs) at that scale.
func BenchmarkApply1000(b *testing.B) { benchmarkApply(b, 4, 0) }

// BenchmarkApply10000 applies 10,000 one-sample runs (forty endpoints) like
// BenchmarkApply1000, at parallelism 64, and reports the size of the state that records them.
func BenchmarkApply10000(b *testing.B) { benchmarkApply(b, 40, 64) }

func benchmarkApply(b *testing.B, endpoints, parallelism int) {
	e := newEnv(&testing.T{})
	e.t = nil
	runner := &oneSampleRunner{}
	e.engine.Runners = map[string]plan.Runner{"native": runner, plan.AnyHarness: runner}
	writeFile(b, e.dir, scaleConfig(endpoints))
	cfg := loadB(b, e)
	var runs, writes int
	for b.Loop() {
		b.StopTimer()
		os.RemoveAll(filepath.Join(e.dir, ".evalplan"))
		os.Remove(cfg.Settings.State)
		p, diags := e.engine.Plan(context.Background(), cfg, state.New("test"), plan.Options{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		store := state.NewStore(cfg.Settings.State, state.New("test"))
		b.StartTimer()
		res, diags := e.engine.Apply(context.Background(), cfg, p, store, plan.ApplyOptions{Parallelism: parallelism})
		if diags.HasErrors() || len(res.Errors) > 0 {
			b.Fatal(diags, res.Errors)
		}
		runs, writes = len(res.Outcomes), store.Writes()
	}
	b.ReportMetric(float64(runs), "runs")
	b.ReportMetric(float64(writes), "state-writes")
	if st, err := os.Stat(cfg.Settings.State); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "MB-state")
	}
}
