package vllm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestProcessStartStop(t *testing.T) {
	p := newProvider(t)
	ep := managed("sim", "sim")
	ctx := context.Background()
	url, err := p.Start(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	getModels(t, url)
	s := p.running["sim"]
	if s == nil || s.exited == nil {
		t.Fatalf("no server recorded as started: %+v", p.running)
	}
	if again, err := p.Start(ctx, ep); err != nil || again != url {
		t.Fatalf("second Start: %q, %v; want the running server %q", again, err, url)
	}
	rec := p.readRecord("sim")
	if rec == nil || rec.PID != s.PID || rec.URL != url {
		t.Fatalf("record %+v, want pid %d url %s", rec, s.PID, url)
	}
	if err := p.Stop(ctx, ep); err != nil {
		t.Fatal(err)
	}
	<-s.exited // the leader was reaped
	if _, err := os.Stat(p.recordPath("sim")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("record left after stop: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(p.Dir, ServicesDir, "sim.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"=== evalplan: ", "-addr 127.0.0.1:", "evalplan-sim listening on http://127.0.0.1:"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if err := p.Stop(ctx, ep); err != nil {
		t.Errorf("stopping a stopped endpoint: %v", err)
	}
}

func TestProcessStartFailure(t *testing.T) {
	p := newProvider(t)
	_, err := p.Start(context.Background(), managed("bad", "fail"))
	if err == nil {
		t.Fatal("no error from a server that exits 1")
	}
	for _, want := range []string{"the server exited (exit status 1) before it was ready", "sim.log", "CUDA out of memory", "loading model weights"} {
		if want == "sim.log" {
			want = filepath.Join(ServicesDir, "bad.log")
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if rec := p.readRecord("bad"); rec != nil {
		t.Errorf("record left after a failed start: %+v", rec)
	}
}

func TestProcessStartTimeout(t *testing.T) {
	p := newProvider(t)
	ep := managed("slow", "hang")
	ep.Server.StartTimeout = 300 * time.Millisecond
	_, err := p.Start(context.Background(), ep)
	if err == nil || !strings.Contains(err.Error(), "the server was not ready after 300ms (start_timeout") || !strings.Contains(err.Error(), "raise start_timeout") {
		t.Fatalf("error %v, want a start_timeout error saying how to raise it", err)
	}
	if len(p.running) != 0 || p.readRecord("slow") != nil {
		t.Errorf("server kept after a failed start")
	}
}

func TestProcessWrongModel(t *testing.T) {
	p := newProvider(t)
	ep := managed("other", "sim")
	ep.Model = "not-served"
	ep.Server.StartTimeout = 3 * time.Second
	_, err := p.Start(context.Background(), ep)
	if err == nil || !strings.Contains(err.Error(), `the server serves ["sim-model"], not "not-served"`) {
		t.Fatalf("error %v, want it to name the served models", err)
	}
}

// TestStopKillsWhenTermIgnored: a server that ignores SIGTERM is killed after StopTimeout.
func TestStopKillsWhenTermIgnored(t *testing.T) {
	p := newProvider(t)
	p.StopTimeout = 200 * time.Millisecond
	ep := managed("stubborn", "ignore-term")
	ctx := context.Background()
	if _, err := p.Start(ctx, ep); err != nil {
		t.Fatal(err)
	}
	s := p.running["stubborn"]
	if err := p.Stop(ctx, ep); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	var ee *exec.ExitError
	if !errors.As(s.waitErr, &ee) {
		t.Fatalf("wait: %v, want an exit error", s.waitErr)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Errorf("server ended with %v, want SIGKILL", s.waitErr)
	}
}

// TestKeepRunningReuse: a server left running (keep_running) is reused by the next
// Provider (the next apply) when its launch is the same, and replaced when it changed.
func TestKeepRunningReuse(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	ep := managed("kept", "sim")
	ep.Server.KeepRunning = true
	first := &Provider{Dir: dir, PollInterval: 20 * time.Millisecond}
	url, err := first.Start(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	pid := first.running["kept"].PID
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })

	second := &Provider{Dir: dir, PollInterval: 20 * time.Millisecond}
	if got, err := second.Start(ctx, ep); err != nil || got != url {
		t.Fatalf("second apply: %q, %v; want the running server %q", got, err, url)
	}
	if got := second.running["kept"].PID; got != pid {
		t.Errorf("second apply runs pid %d, want the kept %d", got, pid)
	}

	changed := managed("kept", "sim", "-seed", "7")
	changed.Server.KeepRunning = true
	third := &Provider{Dir: dir, PollInterval: 20 * time.Millisecond}
	url3, err := third.Start(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	s3 := third.running["kept"]
	t.Cleanup(func() { _ = third.Stop(context.Background(), changed) })
	if s3.PID == pid || processAlive(pid) {
		t.Errorf("changed launch: pid %d (old %d alive %v), want a new server and the old one stopped", s3.PID, pid, processAlive(pid))
	}
	getModels(t, url3)
}
