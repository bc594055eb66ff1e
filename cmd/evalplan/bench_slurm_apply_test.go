package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
)

// BenchmarkSlurmApply applies N one-sample native runs on the Slurm executor against the
// real controller (.ci/services.d/80-slurm.sh; skipped unless EVALPLAN_TEST_SLURM=1) and
// reports what apply itself costs: wall time, peak RSS of the apply process (its rusage),
// the peak of its live Go heap (GODEBUG=gctrace=1), its RSS sampled through the apply
// (/proc/PID/status), and its sbatch, squeue and scontrol calls (counted by wrappers on
// PATH). N is EVALPLAN_BENCH_SLURM_RUNS (default 2,000); the apply's -parallelism is
// EVALPLAN_BENCH_SLURM_PARALLELISM (default 250). Each run is a job (an array task) that
// runs this test binary as evalplan on the node, so the time is the cluster's: run it
// with -benchtime=1x on an otherwise idle cluster. Its jobs run at a low priority
// (--nice) so that the jobs of other users of a shared test cluster go first. With
// EVALPLAN_BENCH_HEAPPROF_DIR set, the apply writes heap and goroutine profiles and its
// memory statistics there as it goes (runProfiled), to compare with go tool pprof -diff_base.
//
//	EVALPLAN_BENCH_SLURM_RUNS=500 go test -run '^$' -bench BenchmarkSlurmApply -benchtime=1x -timeout 60m ./cmd/evalplan/
func BenchmarkSlurmApply(b *testing.B) {
	if os.Getenv("EVALPLAN_TEST_SLURM") != "1" {
		b.Skip("no Slurm cluster: run .ci/services.sh (it exports EVALPLAN_TEST_SLURM=1)")
	}
	n := benchEnvInt(b, "EVALPLAN_BENCH_SLURM_RUNS", 2000)
	par := benchEnvInt(b, "EVALPLAN_BENCH_SLURM_PARALLELISM", 250)
	fixtures, err := filepath.Abs("testdata")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m := applyOnSlurm(b, n, par, filepath.Join(fixtures, "gsm8k_sample.jsonl"))
		b.ReportMetric(m.wall.Seconds(), "apply-s")
		b.ReportMetric(float64(m.maxRSS)/1024, "peak-rss-MB")
		b.ReportMetric(m.maxHeap, "peak-live-heap-MB")
		b.ReportMetric(float64(m.calls["sbatch"]), "sbatch-calls")
		b.ReportMetric(float64(m.calls["squeue"]), "squeue-calls")
		b.ReportMetric(float64(m.calls["squeue"])/m.wall.Minutes(), "squeue/min")
		b.ReportMetric(float64(m.calls["scontrol"]), "scontrol-calls")
		b.Logf("%d runs, -parallelism %d: apply %s, peak RSS %.1f MB, peak live heap %.1f MB, %d sbatch, %d squeue (%.1f a minute), %d scontrol",
			n, par, m.wall.Round(time.Second), float64(m.maxRSS)/1024, m.maxHeap, m.calls["sbatch"], m.calls["squeue"], float64(m.calls["squeue"])/m.wall.Minutes(), m.calls["scontrol"])
		b.Logf("RSS through the apply (MB, every 10%% of its time): %s", m.rssCurve())
	}
}

type applyMeasure struct {
	wall    time.Duration
	maxRSS  int64   // KiB, the apply process's rusage
	maxHeap float64 // MB, the largest live heap gctrace reported
	calls   map[string]int
	samples []float64 // VmRSS in MB, every sampleEvery
}

const sampleEvery = 500 * time.Millisecond

// rssCurve is the sampled RSS at 0%, 10%, … 100% of the apply.
func (m *applyMeasure) rssCurve() string {
	if len(m.samples) == 0 {
		return "no samples"
	}
	var parts []string
	for i := 0; i <= 10; i++ {
		j := min(i*(len(m.samples)-1)/10, len(m.samples)-1)
		parts = append(parts, fmt.Sprintf("%.0f", m.samples[j]))
	}
	return strings.Join(parts, " ")
}

// applyOnSlurm writes a configuration of n one-sample task runs on a Slurm executor, starts
// the simulator and runs `evalplan apply` as a process, measuring it.
func applyOnSlurm(b *testing.B, n, par int, gsm8k string) *applyMeasure {
	b.Helper()
	dir := b.TempDir()
	s, err := sim.New(func() sim.Config {
		c := sim.DefaultConfig()
		c.Datasets = []string{gsm8k}
		return c
	}())
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() { s.Close(); srv.Close() }()

	var cfg strings.Builder
	fmt.Fprintf(&cfg, `endpoint "sim" {
  url   = %q
  model = "sim-model"
}
dataset "gsm8k" {
  source = %q
  sha256 = "4a665a79d70d7d83f14400fdb75f421e201ce1ae8ec94fa87157e5a3feae75aa"
}
executor "slurm" "bench" {
  shared_dir    = "shared"
  time_limit    = "00:10:00"
  cpus_per_task = 1
  poll_interval = 2
  sbatch_args   = ["--nice=1000000"]
}
`, "http://"+ln.Addr().String()+"/v1", gsm8k)
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("task.t%04d", i)
		fmt.Fprintf(&cfg, "task \"t%04d\" {\n  dataset = dataset.gsm8k\n  prompt  = record.question\n  target  = record.answer\n}\n", i)
	}
	fmt.Fprintf(&cfg, "suite \"many\" {\n  endpoints  = [endpoint.sim]\n  benchmarks = [%s]\n  executor   = executor.slurm.bench\n  params {\n    limit_samples = 1\n    sample        = \"first\"\n  }\n}\n", strings.Join(names, ", "))
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), []byte(cfg.String()), 0o644); err != nil {
		b.Fatal(err)
	}

	// Wrappers count the Slurm commands apply runs, then run the real ones.
	bin, calls := filepath.Join(dir, "bin"), filepath.Join(dir, "calls")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, cmd := range []string{"sbatch", "squeue", "scontrol"} {
		real, err := exec.LookPath(cmd)
		if err != nil {
			b.Fatal(err)
		}
		script := fmt.Sprintf("#!/bin/sh\necho %s >> %q\nexec %q \"$@\"\n", cmd, calls, real)
		if err := os.WriteFile(filepath.Join(bin, cmd), []byte(script), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	evalplan, err := exec.LookPath("evalplan") // this test binary (TestMain)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(evalplan, "apply", "-auto-approve", "-no-color", "-parallelism", strconv.Itoa(par))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(filepath.ListSeparator)+os.Getenv("PATH"), "GODEBUG=gctrace=1", "NO_COLOR=1")
	var stdout bytes.Buffer
	stderr := &heapTracker{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	m := &applyMeasure{calls: map[string]int{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			if rss, ok := vmRSS(cmd.Process.Pid); ok {
				m.samples = append(m.samples, rss)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	err = cmd.Wait()
	m.wall = time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		b.Fatalf("apply: %v\n%s", err, lastLines(stdout.String(), 30))
	}
	if want := fmt.Sprintf("Runs: %d complete, 0 partial, 0 failed", n); !strings.Contains(stdout.String(), want) {
		b.Fatalf("apply did not say %q:\n%s", want, lastLines(stdout.String(), 30))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss
	}
	m.maxHeap = stderr.max
	if b, err := os.ReadFile(calls); err == nil {
		for _, l := range strings.Fields(string(b)) {
			m.calls[l]++
		}
	}
	return m
}

// heapTracker reads gctrace lines ("gc 12 @3.1s 2%: … 4->5->3 MB, …") from a process's
// standard error and keeps the largest live heap (the third number).
type heapTracker struct {
	mu   sync.Mutex
	part []byte
	max  float64
}

var gcLine = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB`)

func (h *heapTracker) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.part = append(h.part, p...)
	for {
		i := bytes.IndexByte(h.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		if m := gcLine.FindSubmatch(h.part[:i]); m != nil {
			if v, err := strconv.ParseFloat(string(m[3]), 64); err == nil && v > h.max {
				h.max = v
			}
		}
		h.part = h.part[i+1:]
	}
}

// vmRSS is a process's resident set in MB, from /proc/PID/status.
func vmRSS(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
