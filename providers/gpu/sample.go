package gpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is one reading of one GPU.
type Sample struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// MemoryUsedMiB and MemoryTotalMiB are in MiB (2^20 bytes).
	MemoryUsedMiB  int `json:"memory_used_mib"`
	MemoryTotalMiB int `json:"memory_total_mib"`
	// UtilizationPct is the percentage of time a kernel ran over the last sample period.
	UtilizationPct int `json:"utilization_pct"`
	// ProcessMiB is the memory the watched server's processes hold on this GPU; -1 when
	// NVML does not say (a container server, or a driver that does not report processes).
	ProcessMiB int `json:"process_mib"`
}

// Sampler reads GPUs. The NVML one is OpenNVML's; tests inject their own.
type Sampler interface {
	// Sample reads the devices with the given indexes (nil: every device). ProcessMiB sums
	// the memory of the processes of pids and of the processes in their sessions (a
	// server started in its own session, with its workers); no pids: -1.
	Sample(ctx context.Context, devices []int, pids []int) ([]Sample, error)
	// Close releases the sampler.
	Close() error
}

// Verdict is what a PressureRule makes of a reading.
type Verdict struct {
	// Pressure says the server's memory is under pressure: concurrency should go down.
	Pressure bool
	// Trend says the pressure is only the memory use rising towards the limit (no device
	// is at it yet): a limiter that already steers by the server's KV-cache metric ignores
	// it.
	Trend bool
	// Reason is for people: "GPU 0 at 97% memory".
	Reason string
}

// Defaults of PressureRule.
const (
	DefaultPressureFraction = 0.97
	// DefaultTrendSamples is how many rising samples in a row make a trend.
	DefaultTrendSamples = 3
)

// PressureRule decides memory pressure from successive readings: a device whose used
// memory is at Fraction of its total or more, or (a trend) whose use rose in each of the
// last TrendSamples readings at a pace that reaches Fraction within as many more. The zero
// value uses the defaults. A PressureRule keeps the history of one watch; it is not safe
// for concurrent use.
type PressureRule struct {
	Fraction     float64
	TrendSamples int

	history map[int][]int // device index → last used MiB, oldest first
}

// Check takes one reading and returns the verdict.
func (r *PressureRule) Check(samples []Sample) Verdict {
	frac := r.Fraction
	if frac <= 0 || frac > 1 {
		frac = DefaultPressureFraction
	}
	n := r.TrendSamples
	if n < 2 {
		n = DefaultTrendSamples
	}
	if r.history == nil {
		r.history = map[int][]int{}
	}
	var at, rising []string
	for _, s := range samples {
		if s.MemoryTotalMiB <= 0 {
			continue
		}
		h := append(r.history[s.Index], s.MemoryUsedMiB)
		if len(h) > n+1 {
			h = h[len(h)-n-1:]
		}
		r.history[s.Index] = h
		limit := frac * float64(s.MemoryTotalMiB)
		used := float64(s.MemoryUsedMiB)
		if used >= limit {
			at = append(at, fmt.Sprintf("GPU %d at %d%% memory", s.Index, int(100*used/float64(s.MemoryTotalMiB))))
			continue
		}
		if len(h) < n+1 {
			continue
		}
		up := true
		for i := 1; i < len(h); i++ {
			up = up && h[i] > h[i-1]
		}
		pace := float64(h[len(h)-1]-h[0]) / float64(n) // MiB per reading
		if up && used+pace*float64(n) >= limit {
			rising = append(rising, fmt.Sprintf("GPU %d memory rising to %s of %s GiB", s.Index, GiB(s.MemoryUsedMiB), GiB(s.MemoryTotalMiB)))
		}
	}
	switch {
	case len(at) > 0:
		return Verdict{Pressure: true, Reason: strings.Join(at, ", ")}
	case len(rising) > 0:
		return Verdict{Pressure: true, Trend: true, Reason: strings.Join(rising, ", ")}
	}
	return Verdict{}
}

// GiB formats MiB as GiB with one decimal: "61.2".
func GiB(mib int) string {
	return strconv.FormatFloat(float64(mib)/1024, 'f', 1, 64)
}

// Defaults of Watch.
const (
	DefaultWatchInterval = 5 * time.Second
	// MinWatchInterval bounds how often a watch samples.
	MinWatchInterval = 500 * time.Millisecond
)

// WatchOptions configures Watch.
type WatchOptions struct {
	// Sampler reads the GPUs.
	Sampler Sampler
	// Devices are the server's GPUs (nil: every device); PIDs its processes, for
	// Sample.ProcessMiB.
	Devices []int
	PIDs    []int
	// Interval is the time between readings (default DefaultWatchInterval, at least
	// MinWatchInterval).
	Interval time.Duration
	// Rule decides pressure; the zero value uses its defaults.
	Rule PressureRule
	// Report hears every reading and its verdict, or the sampling error.
	Report func(samples []Sample, v Verdict, err error)
	// Tick, when set (tests), replaces the timer: Watch reads once per value received
	// (and once at the start).
	Tick <-chan time.Time
}

// Watch reads the GPUs every Interval until ctx ends, passing each reading to Report. A
// sampling error is reported and the watch goes on; ErrNoNVML is reported once and ends it.
func Watch(ctx context.Context, o WatchOptions) {
	interval := max(o.Interval, MinWatchInterval)
	if o.Interval <= 0 {
		interval = DefaultWatchInterval
	}
	tick := o.Tick
	if tick == nil {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		samples, err := o.Sampler.Sample(ctx, o.Devices, o.PIDs)
		if ctx.Err() != nil {
			return
		}
		var v Verdict
		if err == nil {
			v = o.Rule.Check(samples)
		}
		o.Report(samples, v, err)
		if errors.Is(err, ErrNoNVML) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// inSession reports whether pid is one of pids or in the session of one of them (Linux
// /proc; elsewhere only the pids themselves count).
func inSession(pid int, pids []int) bool {
	if slices.Contains(pids, pid) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ppid pgrp session ...: comm may hold spaces, so start after ")".
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 4 {
		return false
	}
	sid, err := strconv.Atoi(f[3])
	return err == nil && slices.Contains(pids, sid)
}
