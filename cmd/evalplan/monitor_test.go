package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/status"
)

const monitorConfig = `
variable "url" {
  type = string
}

endpoint "sim" {
  url   = var.url
  model = "sim-model"
}

dataset "gsm8k" {
  source = "data/gsm8k.jsonl"
  sha256 = "4a665a79d70d7d83f14400fdb75f421e201ce1ae8ec94fa87157e5a3feae75aa"
}

suite "quick" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k"]
  params {
    limit_samples = 40
    sample        = "first"
    parallelism   = 1
  }
  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k
  }
}
`

// syncBuffer is a bytes.Buffer safe for the apply goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMonitorDuringApply starts an apply against a slow simulator, waits for its first
// journal line, and checks that `monitor -once -json` shows the lock holder (this process:
// the apply runs in-process) and the running run with done < total, without taking the lock.
func TestMonitorDuringApply(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "gsm8k_sample.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "data", "gsm8k.jsonl"), data)
	mustWrite(t, filepath.Join(dir, "eval.hcl"), []byte(monitorConfig))

	cfg := sim.DefaultConfig()
	cfg.Accuracy, cfg.Latency, cfg.Capacity = 1, 250*time.Millisecond, 1
	cfg.Datasets = []string{filepath.Join(dir, "data", "gsm8k.jsonl")}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	environ := []string{"EVALPLAN_VAR_url=" + srv.URL + "/v1", "NO_COLOR=1"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var applyOut syncBuffer
	applied := make(chan int, 1)
	go func() {
		c := &cli{ctx: ctx, stdin: strings.NewReader(""), stdout: &applyOut, stderr: &applyOut, environ: environ}
		applied <- c.main([]string{"-chdir=" + dir, "apply", "-auto-approve", "-no-color"})
	}()
	journal := waitForLine(t, filepath.Join(dir, "output", "quick", "native.gsm8k", "sim", "*", rundir.JournalFile), applied, &applyOut)

	var out, errOut bytes.Buffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, environ: environ}
	if code := c.main([]string{"-chdir=" + dir, "monitor", "-once", "-json"}); code != exitOK {
		t.Fatalf("monitor: exit %d\n%s", code, errOut.String())
	}
	var snap status.Snapshot
	if err := json.Unmarshal(out.Bytes(), &snap); err != nil {
		t.Fatalf("monitor -json: %v\n%s", err, out.String())
	}
	if snap.Holder == nil || snap.Holder.PID != os.Getpid() || !strings.HasPrefix(snap.Holder.Command, "evalplan apply") {
		t.Fatalf("holder = %+v, want pid %d running evalplan apply\n%s", snap.Holder, os.Getpid(), out.String())
	}
	if len(snap.Runs) != 1 {
		t.Fatalf("runs = %+v, want the one running run", snap.Runs)
	}
	r := snap.Runs[0]
	if r.Address != `suite.quick.run["native.gsm8k"]["sim"]` || r.Status != "running" || r.Total != 40 || r.Done < 1 || r.Done >= r.Total {
		t.Errorf("run = %+v, want the gsm8k run running with 1 ≤ done < total = 40", r)
	}
	if filepath.Join(dir, r.RunDir, rundir.JournalFile) != journal {
		t.Errorf("run_dir = %s, want the directory of %s", r.RunDir, journal)
	}

	cancel() // Ctrl-C: the apply stops, keeping what it finished
	if code := <-applied; code != exitInterrupted {
		t.Errorf("apply: exit %d, want %d\n%s", code, exitInterrupted, applyOut.String())
	}
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitForLine polls until a file matching pattern has a complete line and returns its path;
// it fails when the apply ends first or after 30 s.
func waitForLine(t *testing.T, pattern string, applied <-chan int, out *syncBuffer) string {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		if files, _ := filepath.Glob(pattern); len(files) == 1 {
			if b, err := os.ReadFile(files[0]); err == nil && bytes.IndexByte(b, '\n') >= 0 {
				return files[0]
			}
		}
		select {
		case code := <-applied:
			t.Fatalf("apply ended (exit %d) before its first journal line\n%s", code, out.String())
		case <-deadline:
			t.Fatalf("no journal line after 30s\n%s", out.String())
		case <-tick.C:
		}
	}
}
