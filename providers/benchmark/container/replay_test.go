package container_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/proxy"
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
	// What the first attempt got answered is in its request journal; a request in flight when
	// it was cut got no answer and may be asked again.
	answered, err := proxy.ReadReplay(filepath.Join(sp.RunDir, rundir.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(answered) == 0 {
		t.Fatalf("the first attempt got no answer before it was cut (%d requests)", first)
	}
	sp.Params.Timeout = nil
	out, err = r.Run(context.Background(), sp, &logs{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != state.StatusComplete {
		t.Fatalf("second attempt: %s: %s", out.Status, out.Error)
	}
	if n := s.Count(sim.RouteChat) - first; n != int64(samples-len(answered)) {
		t.Errorf("the second attempt asked the model %d times, want %d: only the samples the first (%d requests, %d answered) did not get answered",
			n, samples-len(answered), first, len(answered))
	}
}
