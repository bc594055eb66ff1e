package plantest

import (
	"context"
	"sync"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

// counter counts provider calls by address. It is safe for concurrent use: apply calls
// runners and exporters from several goroutines.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[addr]++
}

// take returns the counts so far and starts again from zero.
func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	if n == nil {
		n = map[string]int{}
	}
	return n
}

// countingRunner counts the runs it is asked for by address, then runs them.
type countingRunner struct {
	next  plan.Runner
	calls *counter
}

// Kind implements plan.Runner.
func (r *countingRunner) Kind() plan.RunnerKind { return r.next.Kind() }

// PlanRun implements plan.Runner.
func (r *countingRunner) PlanRun(ctx context.Context, req *plan.RunRequest) (*plan.RunPlan, error) {
	return r.next.PlanRun(ctx, req)
}

// Run implements plan.Runner.
func (r *countingRunner) Run(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (*plan.Outcome, error) {
	r.calls.add(spec.Address)
	return r.next.Run(ctx, spec, progress)
}

// countingExporter counts the exports it is asked for by export address, then makes them.
type countingExporter struct {
	next  plan.Exporter
	calls *counter
}

func (x *countingExporter) Export(ctx context.Context, ex *config.Exporter, rec *plan.ExportRecord) (string, error) {
	run, err := addrs.ParseRun(rec.Address)
	if err != nil {
		return "", err
	}
	x.calls.add(addrs.Export{Exporter: addrs.Exporter{Type: ex.Type, Name: ex.Name}, Run: run}.String())
	return x.next.Export(ctx, ex, rec)
}

// counted returns a copy of e whose runners and exporters count their calls in runs and
// exports.
func counted(e *plan.Engine, runs, exports *counter) *plan.Engine {
	c := *e
	c.Runners = make(plan.Registry, len(e.Runners))
	for harness, r := range e.Runners {
		c.Runners[harness] = &countingRunner{next: r, calls: runs}
	}
	c.Exporters = make(map[string]plan.Exporter, len(e.Exporters))
	for typ, x := range e.Exporters {
		c.Exporters[typ] = &countingExporter{next: x, calls: exports}
	}
	return &c
}
