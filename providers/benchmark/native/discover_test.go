package native

import (
	"context"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
)

// TestDiscoverRun: with no parallelism configured, a run against a server of 64 slots
// grows past the 32 it starts with, and answers every sample. The server's latency is
// long (200 ms) next to the scheduling delays of a loaded machine, so they do not read as
// queueing: at 20 ms, four answers delayed by 15 ms under CI load ended slow start.
func TestDiscoverRun(t *testing.T) {
	const n = 300
	data := writeGSM8K(t, t.TempDir(), n)
	cfg := simConfig(data)
	cfg.Latency, cfg.Capacity = 200*time.Millisecond, 64
	s := startSim(t, cfg)
	lim := &openai.Limiters{}
	r := &Runner{Limiters: lim}
	defer r.Close()
	spec := simSpec(t.TempDir(), s.URL, data, config.Params{LimitSamples: ptr(float64(n)), Sample: ptr(sampleFirst)})
	out, err := r.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete || out.Result.N != n {
		t.Fatalf("run: %+v, %v", out, err)
	}
	if st := lim.For(LimiterKey(spec.Endpoint.Name, spec.Endpoint.URL), 0).Stats(); st.Peak <= openai.DiscoverInitial {
		t.Errorf("peak in flight %d: the limit never grew past %d (%+v)", st.Peak, openai.DiscoverInitial, st)
	}
}

// TestDiscoverFailFast: with no parallelism configured the run has 1,024 workers, yet
// fail-fast against a server that refuses the key stops the requests still waiting for a
// slot. The server sees those in flight when the eighth failure trips it and the few
// granted a slot while it was being counted (about 50 with the limit starting at 32; a
// fixed parallelism of 16 sees 24 to 31), never the 300 the workers would send.
func TestDiscoverFailFast(t *testing.T) {
	const n = 300
	data := writeGSM8K(t, t.TempDir(), n)
	cfg := simConfig(data)
	cfg.Latency, cfg.APIKey = 5*time.Millisecond, "secret"
	s := startSim(t, cfg)
	r := &Runner{}
	defer r.Close()
	spec := simSpec(t.TempDir(), s.URL, data, config.Params{LimitSamples: ptr(float64(n)), Sample: ptr(sampleFirst)})
	out, err := r.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusFailed {
		t.Fatalf("run: %+v, %v; want failed", out, err)
	}
	t.Logf("the server saw %d requests", s.Count(sim.RouteChat))
	if limit := 4 * openai.DiscoverInitial; s.Count(sim.RouteChat) > int64(limit) {
		t.Errorf("server saw %d requests, want at most %d", s.Count(sim.RouteChat), limit)
	}
}
