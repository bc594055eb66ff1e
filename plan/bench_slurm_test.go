package plan_test

import (
	"context"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/state"
)

// benchSlurmConfig is the comprehensive preset (425 benchmarks) against 8 endpoints, all on
// a Slurm executor: 2,000 planned runs (250 apply to each endpoint).
const benchSlurmConfig = `
executor "slurm" "cluster" {
  shared_dir = "shared"
  partition  = "gpu"
  time_limit = "04:00:00"
}
endpoint "e1" {
  url   = "http://127.0.0.1:1/v1"
  model = "m1"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e2" {
  url   = "http://127.0.0.1:1/v1"
  model = "m2"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e3" {
  url   = "http://127.0.0.1:1/v1"
  model = "m3"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e4" {
  url   = "http://127.0.0.1:1/v1"
  model = "m4"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e5" {
  url   = "http://127.0.0.1:1/v1"
  model = "m5"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e6" {
  url   = "http://127.0.0.1:1/v1"
  model = "m6"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e7" {
  url   = "http://127.0.0.1:1/v1"
  model = "m7"
  capabilities = ["logprobs", "vision", "embedding"]
}
endpoint "e8" {
  url   = "http://127.0.0.1:1/v1"
  model = "m8"
  capabilities = ["logprobs", "vision", "embedding"]
}
suite "nightly" {
  endpoints = [endpoint.e1, endpoint.e2, endpoint.e3, endpoint.e4, endpoint.e5, endpoint.e6, endpoint.e7, endpoint.e8]
  preset    = "comprehensive"
  executor  = executor.slurm.cluster
  params {
    limit_samples = 100
  }
}
`

// BenchmarkPlanSlurm plans 2,000 runs on a Slurm executor from an empty state (every run
// to submit): the issue asks for under 200 ms.
func BenchmarkPlanSlurm(b *testing.B) {
	e := newEnv(&testing.T{})
	e.t = nil
	e.engine.Runners[plan.AnyHarness] = e.runner
	writeFile(b, e.dir, benchSlurmConfig)
	cfg := loadB(b, e)
	runs := 0
	for b.Loop() {
		p, diags := e.engine.Plan(context.Background(), cfg, state.New("test"), plan.Options{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		runs = 0
		for _, a := range p.Actions {
			if a.Action == plan.ActionRun {
				runs++
			}
		}
	}
	if runs < 2000 {
		b.Fatalf("%d runs planned, want at least 2,000", runs)
	}
	b.ReportMetric(float64(runs), "runs")
}
