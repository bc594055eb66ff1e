package plan

import (
	"context"
	"sync"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

type fakeServices struct {
	mu     sync.Mutex
	events []string
}

func (f *fakeServices) Start(_ context.Context, ep *config.Endpoint) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "start "+ep.Name)
	return "http://127.0.0.1:9/v1", nil
}

func (f *fakeServices) Stop(_ context.Context, ep *config.Endpoint) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "stop "+ep.Name)
	return nil
}

func TestServicePoolRefcount(t *testing.T) {
	svc := &fakeServices{}
	pool := newServicePool(svc)
	ep := &config.Endpoint{Name: "v", Server: &config.ManagedServer{}}
	keep := &config.Endpoint{Name: "k", Server: &config.ManagedServer{KeepRunning: true}}
	ext := &config.Endpoint{Name: "x", URL: "http://h/v1"}
	ctx := context.Background()

	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := pool.Acquire(ctx, ep); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 7; i++ {
		if err := pool.Release(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"start v"}, svc.events); diff != "" {
		t.Fatalf("before last release (-want +got):\n%s", diff)
	}
	if err := pool.Release(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Acquire(ctx, keep); err != nil {
		t.Fatal(err)
	}
	if err := pool.Release(ctx, keep); err != nil {
		t.Fatal(err)
	}
	if url, err := pool.Acquire(ctx, ext); err != nil || url != "http://h/v1" {
		t.Fatalf("external: %q %v", url, err)
	}
	want := []string{"start v", "stop v", "start k"}
	if diff := cmp.Diff(want, svc.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if _, err := newServicePool(nil).Acquire(ctx, ep); err == nil {
		t.Error("managed endpoint without a Services provider: no error")
	}
}

// metricsServices serves its endpoints' metrics under /v1/metrics (as NIM does).
type metricsServices struct{ fakeServices }

func (*metricsServices) MetricsURL(_ *config.Endpoint, base string) string { return base + "/metrics" }

// specRunner records the spec it is run with.
type specRunner struct{ spec *RunSpec }

func (*specRunner) Kind() RunnerKind { return "test" }
func (*specRunner) PlanRun(context.Context, *RunRequest) (*RunPlan, error) {
	return nil, nil
}
func (r *specRunner) Run(_ context.Context, spec *RunSpec, _ Progress) (*Outcome, error) {
	r.spec = spec
	return &Outcome{}, nil
}

// TestExecutorMetricsURL: a run against a managed endpoint gets the server's metrics URL from
// Services that know it; an external endpoint's stays empty (its URL's /metrics).
func TestExecutorMetricsURL(t *testing.T) {
	tests := []struct {
		name string
		svc  Services
		ep   *config.Endpoint
		want [2]string // URL, MetricsURL
	}{
		{"managed, known path", &metricsServices{}, &config.Endpoint{Name: "n", Server: &config.ManagedServer{Kind: "nim"}},
			[2]string{"http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/metrics"}},
		{"managed, Services without paths", &fakeServices{}, &config.Endpoint{Name: "v", Server: &config.ManagedServer{}},
			[2]string{"http://127.0.0.1:9/v1", ""}},
		{"external", &metricsServices{}, &config.Endpoint{Name: "x", URL: "http://h/v1"},
			[2]string{"http://h/v1", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &specRunner{}
			job := &Job{Run: &PlannedRun{Runner: r}, Spec: &RunSpec{Endpoint: tt.ep}, Servers: newServicePool(tt.svc)}
			if _, err := (LocalExecutor{}).Execute(context.Background(), job, NopProgress{}); err != nil {
				t.Fatal(err)
			}
			got := [2]string{r.spec.Endpoint.URL, r.spec.Endpoint.MetricsURL}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
