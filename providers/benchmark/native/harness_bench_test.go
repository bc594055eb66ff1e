package native

// Benchmarks of the harness against the simulated model server (DESIGN §9, issue 3's
// "make bench" figures). Each iteration is one whole run in a fresh run directory, so use
// -benchtime=Nx; .ci/bench.sh runs them several times and prints the medians.
//
//   - BenchmarkHarnessIdeal: 5,000 samples, 50 ms latency, 256 slots, parallelism 256;
//     "ratio" = wall time ÷ ceil(5000/256) × 50 ms.
//   - BenchmarkHarnessThroughput: requests/s against a zero-latency server.
//   - BenchmarkHarnessPeakRSS: peak resident memory of a run of 100,000 samples, in a child
//     process.
//   - BenchmarkHarnessParallelism: one GSM8K run at 50 ms latency with parallelism 1, 16,
//     64 and 256 (40 rounds of requests each, at most 5,000 samples).
//   - BenchmarkHarnessDiscover: no parallelism configured, 2,000 samples, 200 ms latency,
//     128 slots: the limiter discovers the capacity; "ratio" = wall time ÷ ideal.
//   - BenchmarkHarnessKVCache: no parallelism configured against a simulated vLLM whose KV
//     cache holds 100 sequences; "ratio" = throughput ÷ the best of a parallelism sweep.

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
)

// gsm8kFile writes a synthetic GSM8K dataset of n records for one benchmark.
func gsm8kFile(b *testing.B, n int) string {
	return writeGSM8K(b, b.TempDir(), n)
}

// benchRun runs spec once and fails b unless every one of n samples is answered.
func benchRun(b *testing.B, r *Runner, spec *plan.RunSpec, n int) {
	out, err := r.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete || out.Result.N != n {
		b.Fatalf("run: %+v, %v; want %d samples answered", out, err, n)
	}
}

// benchLoop runs n samples of data against url once per iteration, each in a fresh run
// directory, and returns the mean wall time of a run.
func benchLoop(b *testing.B, url, data string, n int, p config.Params) time.Duration {
	r := &Runner{}
	defer r.Close()
	if p.LimitSamples == nil {
		p.LimitSamples = ptr(float64(n))
	}
	p.Sample = ptr(sampleFirst)
	b.ReportAllocs()
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		spec := simSpec(b.TempDir(), url, data, p)
		b.StartTimer()
		start := time.Now()
		benchRun(b, r, spec, n)
		total += time.Since(start)
	}
	mean := total / time.Duration(b.N)
	b.ReportMetric(float64(n)/mean.Seconds(), "samples/s")
	return mean
}

// idealTime is ceil(n/slots) rounds of latency.
func idealTime(n, slots int, latency time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(n)/float64(slots))) * latency
}

// BenchmarkHarnessIdeal is figure (a): harness overhead against the ideal time.
func BenchmarkHarnessIdeal(b *testing.B) {
	const n, slots, latency = 5000, 256, 50 * time.Millisecond
	data := gsm8kFile(b, n)
	cfg := simConfig(data)
	cfg.Latency, cfg.Capacity = latency, slots
	s := startSim(b, cfg)
	mean := benchLoop(b, s.URL, data, n, config.Params{Parallelism: ptr(slots)})
	b.ReportMetric(float64(mean)/float64(idealTime(n, slots, latency)), "ratio")
}

// BenchmarkHarnessThroughput is figure (b): requests/s against a zero-latency server, with
// the response cache off and on (every request a miss, stored).
func BenchmarkHarnessThroughput(b *testing.B) {
	const n = 5000
	data := gsm8kFile(b, n)
	s := startSim(b, simConfig(data))
	for _, p := range []int{64, 256} {
		b.Run("parallelism="+strconv.Itoa(p), func(b *testing.B) {
			mean := benchLoop(b, s.URL, data, n, config.Params{Parallelism: ptr(p)})
			b.ReportMetric(float64(n)/mean.Seconds(), "req/s")
		})
	}
}

// BenchmarkHarnessPeakRSS is figure (c): a run of 100,000 samples (and, to show that
// memory stays flat, of 10,000) in a child process (the test binary re-executed into
// TestHarnessChild) against a zero-latency server in this one; "peak-MB" is the child's
// VmHWM.
func BenchmarkHarnessPeakRSS(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("samples="+strconv.Itoa(n), func(b *testing.B) {
			data := gsm8kFile(b, n)
			s := startSim(b, simConfig(data))
			b.ResetTimer()
			var peak int64
			for range b.N {
				spec := simSpec(b.TempDir(), s.URL, data, config.Params{Parallelism: ptr(64)})
				peak = max(peak, childPeak(b, spec))
			}
			b.ReportMetric(float64(peak)/1024, "peak-MB")
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// childPeak runs spec in a child process and returns its peak resident set in KiB.
func childPeak(b *testing.B, spec *plan.RunSpec) int64 {
	cmd := childCommand(b, childJob{Spec: spec})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var status string
	var peak int64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "status "):
			status = line
		case strings.HasPrefix(line, "vmhwm "):
			if peak, err = strconv.ParseInt(strings.TrimPrefix(line, "vmhwm "), 10, 64); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("child: %v", err)
	}
	if status != "status "+string(state.StatusComplete)+" " || peak == 0 {
		b.Fatalf("child ended with %q and peak %d KiB", status, peak)
	}
	return peak
}

// BenchmarkHarnessParallelism is figure (d): one GSM8K run at 50 ms latency with 256
// slots, by parallelism. Each run is 40 rounds of requests (at most 5,000 samples), so
// parallelism 1 takes 2 s, not 250; "ratio" is against the ideal time of that run.
func BenchmarkHarnessParallelism(b *testing.B) {
	const latency, slots = 50 * time.Millisecond, 256
	data := gsm8kFile(b, 5000)
	cfg := simConfig(data)
	cfg.Latency, cfg.Capacity = latency, slots
	s := startSim(b, cfg)
	for _, p := range []int{1, 16, 64, 256} {
		n := min(5000, 40*p)
		b.Run(fmt.Sprintf("parallelism=%d", p), func(b *testing.B) {
			mean := benchLoop(b, s.URL, data, n, config.Params{Parallelism: ptr(p)})
			b.ReportMetric(float64(mean)/float64(idealTime(n, min(p, slots), latency)), "ratio")
		})
	}
}

// BenchmarkHarnessDiscover is figure (e): a run of 2,000 samples against a server of 128
// slots at 200 ms latency. "discover" configures no parallelism, so the endpoint's limiter
// starts at 16 and must discover the capacity from latency; "parallelism=128" is the
// reference of a user who knows it. "ratio" = wall time ÷ the ideal ceil(2000/128) ×
// 200 ms (target for discover ≤ 1.15); "limit" is the limit the run ended with and "peak"
// the most requests it had in flight.
func BenchmarkHarnessDiscover(b *testing.B) {
	const n, slots, latency = 2000, 128, 200 * time.Millisecond
	data := gsm8kFile(b, n)
	cfg := simConfig(data)
	cfg.Latency, cfg.Capacity = latency, slots
	s := startSim(b, cfg)
	for _, p := range []*int{nil, ptr(slots)} {
		name := "discover"
		if p != nil {
			name = fmt.Sprintf("parallelism=%d", *p)
		}
		b.Run(name, func(b *testing.B) {
			params := config.Params{Parallelism: p, LimitSamples: ptr(float64(n)), Sample: ptr(sampleFirst)}
			mean, st := limitedLoop(b, s.URL, data, n, params)
			b.ReportMetric(float64(mean)/float64(idealTime(n, slots, latency)), "ratio")
			b.ReportMetric(float64(st.Limit), "limit")
			b.ReportMetric(float64(st.Peak), "peak")
		})
	}
}

// limitedLoop runs spec's run once per iteration, each with fresh limiters, and returns the
// mean wall time and the endpoint limiter's state at the end of the last run.
func limitedLoop(b *testing.B, url, data string, n int, p config.Params) (time.Duration, openai.LimitStats) {
	lim := &openai.Limiters{}
	r := &Runner{Limiters: lim}
	defer r.Close()
	var total time.Duration
	var st openai.LimitStats
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		*lim = openai.Limiters{}
		spec := simSpec(b.TempDir(), url, data, p)
		b.StartTimer()
		start := time.Now()
		benchRun(b, r, spec, n)
		total += time.Since(start)
		st = lim.For(spec.Endpoint.Name+" "+spec.Endpoint.URL, 0).Stats()
	}
	return total / time.Duration(b.N), st
}

// BenchmarkHarnessKVCache is figure (f): 8,000 samples against a simulated vLLM whose KV
// cache holds 100 sequences (256 slots, 50 ms latency; past 100 running, requests are
// preempted and slow down quadratically), serving vLLM's metrics. A sweep of fixed
// parallelism (50 to 150) finds the best throughput ("best-samples/s" at "best-p"); then a
// run with no parallelism configured, steered by the metrics, reaches "samples/s", and
// "ratio" = its throughput ÷ the best (target ≥ 0.95). "max-waiting" is the most requests
// the server had waiting (vllm:num_requests_waiting) during that run, "preemptions" its
// preemptions, "limit" the limit it ended with.
func BenchmarkHarnessKVCache(b *testing.B) {
	const n, kv, slots, latency = 8000, 100, 256, 50 * time.Millisecond
	data := gsm8kFile(b, n)
	cfg := simConfig(data)
	cfg.Latency, cfg.Capacity, cfg.KVCache = latency, slots, kv
	params := func(p *int) config.Params {
		return config.Params{Parallelism: p, LimitSamples: ptr(float64(n)), Sample: ptr(sampleFirst)}
	}
	var best, bestP float64
	var got time.Duration
	var st openai.LimitStats
	var waiting, preemptions int64
	for range b.N {
		for _, p := range []int{50, 75, 100, 125, 150} {
			s := startSim(b, cfg)
			mean, _ := limitedLoopOnce(b, s.URL, data, n, params(ptr(p)))
			if rate := float64(n) / mean.Seconds(); rate > best {
				best, bestP = rate, float64(p)
			}
			s.close()
		}
		s := startSim(b, cfg)
		got, st = limitedLoopOnce(b, s.URL, data, n, params(nil))
		s.close()
		waiting, preemptions = s.MaxQueued(), s.Preemptions()
	}
	rate := float64(n) / got.Seconds()
	b.ReportMetric(best, "best-samples/s")
	b.ReportMetric(bestP, "best-p")
	b.ReportMetric(rate, "samples/s")
	b.ReportMetric(rate/best, "ratio")
	b.ReportMetric(float64(waiting), "max-waiting")
	b.ReportMetric(float64(preemptions), "preemptions")
	b.ReportMetric(float64(st.Limit), "limit")
}

// limitedLoopOnce runs one run of n samples against url with fresh limiters and returns
// its wall time and the endpoint limiter's state at its end.
func limitedLoopOnce(b *testing.B, url, data string, n int, p config.Params) (time.Duration, openai.LimitStats) {
	lim := &openai.Limiters{}
	r := &Runner{Limiters: lim}
	defer r.Close()
	spec := simSpec(b.TempDir(), url, data, p)
	start := time.Now()
	benchRun(b, r, spec, n)
	d := time.Since(start)
	return d, lim.For(spec.Endpoint.Name+" "+spec.Endpoint.URL, 0).Stats()
}
