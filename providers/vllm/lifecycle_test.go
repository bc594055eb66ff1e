//go:build unix

package vllm

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestLifecycle: StartKept starts a server that a later apply's Provider reuses and does not
// stop; StopKept stops it; Status reports each step.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	p := newProvider(t)
	ep := managed("sim", "sim")
	ignore := cmpopts.IgnoreFields(ServerStatus{}, "URL", "PID", "StartedAt", "Log")
	steps := []struct {
		name string
		do   func(t *testing.T)
		want ServerStatus
	}{
		{"before", func(*testing.T) {}, ServerStatus{Endpoint: "sim", Kind: "vllm", State: StateStopped, Runtime: "process"}},
		{"started", func(t *testing.T) {
			if _, err := p.StartKept(ctx, ep); err != nil {
				t.Fatal(err)
			}
		}, ServerStatus{Endpoint: "sim", Kind: "vllm", State: StateRunning, Runtime: "process", Kept: true, Current: true}},
		{"an apply reuses it and leaves it running", func(t *testing.T) {
			apply := &Provider{Dir: p.Dir, PollInterval: p.PollInterval}
			url, err := apply.Start(ctx, ep)
			if err != nil {
				t.Fatal(err)
			}
			if st := p.Status(ctx, ep); url != st.URL {
				t.Fatalf("apply started %s, not the kept %s", url, st.URL)
			}
			if err := apply.Stop(ctx, ep); err != nil {
				t.Fatal(err)
			}
		}, ServerStatus{Endpoint: "sim", Kind: "vllm", State: StateRunning, Runtime: "process", Kept: true, Current: true}},
		{"another launch is not current", func(t *testing.T) {
			ep.Server.ExtraArgs = []string{"--seed", "2"}
		}, ServerStatus{Endpoint: "sim", Kind: "vllm", State: StateRunning, Runtime: "process", Kept: true}},
		{"stopped", func(t *testing.T) {
			ep.Server.ExtraArgs = nil
			if ok, err := p.StopKept(ctx, ep); err != nil || !ok {
				t.Fatalf("StopKept = %v, %v", ok, err)
			}
			if ok, err := p.StopKept(ctx, ep); err != nil || ok {
				t.Fatalf("StopKept again = %v, %v; want false", ok, err)
			}
		}, ServerStatus{Endpoint: "sim", Kind: "vllm", State: StateStopped, Runtime: "process"}},
	}
	for _, s := range steps {
		s.do(t)
		if diff := cmp.Diff(s.want, p.Status(ctx, ep), ignore); diff != "" {
			t.Fatalf("%s: status (-want +got):\n%s", s.name, diff)
		}
	}
}
