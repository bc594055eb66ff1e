package container_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
)

// TestRunnerNeverAsksTwice: an attempt ended in the middle (its timeout here; a kill -9
// leaves the same journal) and a second attempt without any response cache: the model is
// asked once per sample over both attempts, the second replaying from the run's request
// journal what the first already got.
func TestRunnerNeverAsksTwice(t *testing.T) {
	f := newFixture(t)
	cfg := sim.DefaultConfig()
	cfg.Models = []string{"model-a"}
	cfg.Accuracy = 1
	cfg.APIKey = "test-key"
	cfg.Datasets = []string{questions}
	cfg.Latency = 700 * time.Millisecond
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	ref := f.push(t, "test", containertest.ImageOptions{})
	const samples = 5
	sp, rcfg := spec(t, ts.URL+"/v1", ref, config.Params{LimitSamples: ptr(float64(samples)), Parallelism: ptr(1), Timeout: ptr(1.5)})
	r := &container.Runner{Docker: f.docker, Config: rcfg} // no Requests: no response cache
	out, err := r.Run(context.Background(), sp, &logs{})
	if err != nil {
		t.Fatal(err)
	}
	first := s.Count(sim.RouteChat)
	if out.Status == state.StatusComplete || first == 0 || first >= samples {
		t.Fatalf("first attempt: %s after %d of %d requests; want it cut short part way", out.Status, first, samples)
	}
	sp.Params.Timeout = nil
	out, err = r.Run(context.Background(), sp, &logs{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != state.StatusComplete {
		t.Fatalf("second attempt: %s: %s", out.Status, out.Error)
	}
	if n := s.Count(sim.RouteChat); n != samples {
		t.Errorf("the model was asked %d times over both attempts (%d in the first), want %d: once per sample", n, first, samples)
	}
}
