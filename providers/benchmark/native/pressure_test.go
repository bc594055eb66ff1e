package native

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/evalplan/evalplan/providers/gpu/gputest"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/google/go-cmp/cmp"
)

// pressureProgress records Log lines and calls onAdd once, at the first sample done.
type pressureProgress struct {
	mu    sync.Mutex
	lines []string
	once  sync.Once
	onAdd func()
}

func (p *pressureProgress) Total(string, int64) {}
func (p *pressureProgress) Add(string, int64, int64, int64) {
	p.once.Do(p.onAdd)
}
func (p *pressureProgress) Log(_ string, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, msg)
}

// TestGPUPressureLowersConcurrency: a GPU watch over a fake GPU whose memory ramps to 97%
// while a run is under way lowers the endpoint's limit through Runner.OnPressure, and the
// run records the change in its log and its events file.
func TestGPUPressureLowersConcurrency(t *testing.T) {
	const n = 60
	data := writeGSM8K(t, t.TempDir(), n)
	cfg := simConfig(data)
	cfg.Latency = 5 * time.Millisecond
	s := startSim(t, cfg)
	lim := &openai.Limiters{}
	r := &Runner{Limiters: lim}
	defer r.Close()
	spec := simSpec(t.TempDir(), s.URL, data, config.Params{LimitSamples: ptr(float64(n)), Sample: ptr(sampleFirst), Parallelism: ptr(8)})

	ramp := &gputest.Ramp{Devices: []gpu.Sample{{Index: 0, Name: "H100", MemoryTotalMiB: 81920}}, Used: []int{40000, 80000}}
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var events []string
	watched, second := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		gpu.Watch(ctx, gpu.WatchOptions{Sampler: ramp, Tick: tick, Report: func(_ []gpu.Sample, v gpu.Verdict, _ error) {
			events = append(events, r.OnPressure("sim", s.URL, v)...)
			if v.Pressure {
				close(second)
			}
		}})
	}()
	// The second reading, at 80000 of 81920 MiB, is taken once the first sample is done,
	// and the run goes on once it was passed on.
	progress := &pressureProgress{onAdd: func() {
		tick <- time.Now()
		<-second
	}}
	out, err := r.Run(context.Background(), spec, progress)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("run: %+v, %v", out, err)
	}
	cancel()
	<-watched

	want := []string{"concurrency lowered 8 → 4: GPU 0 at 97% memory"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events of the watch (-want +got):\n%s", diff)
	}
	if got := lim.For(LimiterKey("sim", s.URL), 8).Stats(); got.Limit != 4 || got.Held != 4 {
		t.Errorf("limiter %+v: want the limit held at 4", got)
	}
	progress.mu.Lock()
	logged := append([]string(nil), progress.lines...)
	progress.mu.Unlock()
	if diff := cmp.Diff(want, logged); diff != "" {
		t.Errorf("run log (-want +got):\n%s", diff)
	}
	recorded, err := rundir.ReadEvents(spec.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range recorded {
		if e.Kind != "concurrency" || e.Time.IsZero() {
			t.Errorf("event %+v: want kind concurrency and a time", e)
		}
		msgs = append(msgs, e.Message)
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("events file (-want +got):\n%s", diff)
	}
}

// TestOnPressureTrend: a rising trend lowers a limiter without metrics only; pressure at
// the limit lowers either.
func TestOnPressureTrend(t *testing.T) {
	lim := &openai.Limiters{}
	r := &Runner{Limiters: lim}
	plain := lim.For(LimiterKey("a", "u"), 16)
	metered := lim.For(LimiterKey("b", "u"), 0)
	metered.Observe(openai.ServerMetrics{Running: 0, Waiting: 0, KVUsage: 0, Preemptions: 0})
	trend := gpu.Verdict{Pressure: true, Trend: true, Reason: "GPU 0 memory rising to 76.2 of 80.0 GiB"}
	if got := r.OnPressure("a", "u", trend); len(got) != 1 || plain.Limit() != 8 {
		t.Errorf("trend without metrics: %q, limit %d; want one event, 8", got, plain.Limit())
	}
	before := metered.Limit()
	if got := r.OnPressure("b", "u", trend); len(got) != 0 || metered.Limit() != before {
		t.Errorf("trend with metrics: %q, limit %d; want nothing, %d", got, metered.Limit(), before)
	}
	if got := r.OnPressure("b", "u", gpu.Verdict{Pressure: true, Reason: "GPU 0 at 98% memory"}); len(got) != 1 {
		t.Errorf("pressure with metrics: %q; want one event", got)
	}
	if got := (&Runner{}).OnPressure("a", "u", trend); got != nil {
		t.Errorf("no limiters: %q", got)
	}
}
