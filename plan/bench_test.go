package plan_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/state"
)

const benchConfig = `
endpoint "chat1" {
  url          = "http://127.0.0.1:1/v1"
  model        = "m1"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "chat2" {
  url          = "http://127.0.0.1:1/v1"
  model        = "m2"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "comp1" {
  url          = "http://127.0.0.1:1/v1"
  model        = "m3"
  type         = "completions"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "comp2" {
  url          = "http://127.0.0.1:1/v1"
  model        = "m4"
  type         = "completions"
  capabilities = ["logprobs", "vision", "embedding"]
}
suite "all" {
  endpoints = [endpoint.chat1, endpoint.chat2, endpoint.comp1, endpoint.comp2]
  preset    = "comprehensive"
  params {
    limit_samples = 100
  }
}
`

// BenchmarkPlanComprehensive plans the whole catalog (425 benchmarks) against 4 endpoints with
// a state in which every run is complete: the "nothing to do" plan a CI job makes.
func BenchmarkPlanComprehensive(b *testing.B) {
	e := newEnv(&testing.T{})
	e.t = nil
	e.engine.Runners[plan.AnyHarness] = e.runner
	writeFile(b, e.dir, benchConfig)
	cfg := loadB(b, e)
	p, diags := e.engine.Plan(context.Background(), cfg, state.New("test"), plan.Options{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	store := state.NewStore(cfg.Settings.State, state.New("test"))
	if _, diags := e.engine.Apply(context.Background(), cfg, p, store, plan.ApplyOptions{Parallelism: 8}); diags.HasErrors() {
		b.Fatal(diags)
	}
	st := store.Snapshot()
	runs := len(runResources(st))
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, diags := e.engine.Plan(context.Background(), cfg, st, plan.Options{})
		if diags.HasErrors() || p.Summary.Changes() {
			for _, a := range p.Actions {
				if a.Action != plan.ActionNone {
					b.Log(a.Address, a.Action, a.Reason)
				}
			}
			b.Fatalf("plan: %v changes=%v", diags, p.Summary)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(runs), "runs")
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/op")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "MB-heap")
}
