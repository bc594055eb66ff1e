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
