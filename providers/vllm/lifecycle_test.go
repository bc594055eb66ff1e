//go:build unix

package vllm

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/openai"

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

// TestSGLangLifecycle: an sglang block starts `python3 -m sglang.launch_server` with its
// own arguments (a stand-in for SGLang serves them), is ready by SGLang's rule, serves
// sglang: metrics where MetricsURL says, is listed as an sglang server, and stops.
func TestSGLangLifecycle(t *testing.T) {
	fakePython(t)
	ctx := context.Background()
	p := newProvider(t)
	ep := &config.Endpoint{Name: "sg", Model: "sim-model", Type: "chat", Server: &config.ManagedServer{
		Kind: "sglang", Runtime: "process", TensorParallelSize: 1, MaxModelLen: 4096, MaxNumSeqs: 8,
		StartTimeout: time.Minute,
	}}
	st, err := p.StartKept(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = p.StopKept(context.Background(), ep) })
	ignore := cmpopts.IgnoreFields(ServerStatus{}, "URL", "PID", "StartedAt", "Log")
	want := ServerStatus{Endpoint: "sg", Kind: "sglang", State: StateRunning, Runtime: "process", Kept: true, Current: true}
	if diff := cmp.Diff(want, st, ignore); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	log, err := os.ReadFile(st.Log)
	if err != nil {
		t.Fatal(err)
	}
	line := "starting python3 -m sglang.launch_server --model-path sim-model --host 127.0.0.1 --port "
	rest := " --enable-metrics --tp 1 --context-length 4096 --max-running-requests 8\n"
	if !strings.Contains(string(log), line) || !strings.Contains(string(log), rest) {
		t.Errorf("log lacks the SGLang server line %q…%q:\n%s", line, rest, log)
	}
	resp, err := http.Get(p.MetricsURL(ep, st.URL))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := openai.ParseMetrics(resp.Body)
	resp.Body.Close()
	if !ok || m.Running != 0 || m.Waiting != 0 || m.KVUsage != 0 {
		t.Errorf("sglang metrics: %+v, %v; want zero load read from sglang: names", m, ok)
	}
	if ok, err := p.StopKept(ctx, ep); err != nil || !ok {
		t.Fatalf("StopKept = %v, %v", ok, err)
	}
	if st := p.Status(ctx, ep); st.State != StateStopped {
		t.Errorf("after stop: %s", st.State)
	}
}
