package container

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/evalplan/evalplan/plan/display"
)

// Status is a container's live state for progress views.
type Status struct {
	// State is "running" or "exited".
	State string
	// ExitCode is set when State is "exited".
	ExitCode int64
	// CPUPercent is the CPU use since the previous sample, in percent of one core (as docker
	// stats shows it); negative when unknown (the first sample).
	CPUPercent float64
	// MemoryBytes is the memory in use (without the page cache); MemoryLimit its limit.
	MemoryBytes uint64
	MemoryLimit uint64
	Elapsed     time.Duration
}

// String is a one-line summary: "running 1m5s, CPU 12.5%, memory 45.2 MB".
func (s Status) String() string {
	el := s.Elapsed.Round(time.Second)
	if s.State == "exited" {
		return fmt.Sprintf("exited with code %d after %s", s.ExitCode, el)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", s.State, el)
	if s.CPUPercent >= 0 {
		fmt.Fprintf(&b, ", CPU %.1f%%", s.CPUPercent)
	}
	if s.MemoryBytes > 0 {
		fmt.Fprintf(&b, ", memory %s", display.Bytes(int64(s.MemoryBytes)))
	}
	return b.String()
}

// cpuSample is the counters CPU percent is computed from.
type cpuSample struct {
	total, system uint64
	cpus          uint32
}

// watch reports the container's status until stop is closed.
func (c *Client) watch(ctx context.Context, id string, spec RunSpec, started time.Time, stop <-chan struct{}) {
	if spec.Status == nil {
		return
	}
	spec.Status(Status{State: "running", CPUPercent: -1})
	every := spec.StatusEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var prev *cpuSample
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, cur, err := c.stats(ctx, id, prev)
		if err != nil {
			continue // the container may be exiting; the next tick or the exit reports
		}
		prev = &cur
		st.Elapsed = time.Since(started)
		select {
		case <-stop:
			return
		default:
			spec.Status(st)
		}
	}
}

// stats takes one one-shot stats sample; CPU percent is relative to prev.
func (c *Client) stats(ctx context.Context, id string, prev *cpuSample) (Status, cpuSample, error) {
	api, err := c.engine()
	if err != nil {
		return Status{}, cpuSample{}, err
	}
	r, err := api.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return Status{}, cpuSample{}, err
	}
	defer r.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
		return Status{}, cpuSample{}, fmt.Errorf("decode stats: %w", err)
	}
	st, cur := statusFromStats(&s, prev)
	return st, cur, nil
}

// statusFromStats computes a running Status from a stats sample, as `docker stats` does.
func statusFromStats(s *container.StatsResponse, prev *cpuSample) (Status, cpuSample) {
	cur := cpuSample{total: s.CPUStats.CPUUsage.TotalUsage, system: s.CPUStats.SystemUsage, cpus: s.CPUStats.OnlineCPUs}
	if cur.cpus == 0 {
		cur.cpus = uint32(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	st := Status{State: "running", CPUPercent: -1, MemoryLimit: s.MemoryStats.Limit}
	if prev == nil && s.PreCPUStats.SystemUsage > 0 {
		prev = &cpuSample{total: s.PreCPUStats.CPUUsage.TotalUsage, system: s.PreCPUStats.SystemUsage}
	}
	if prev != nil && cur.system > prev.system && cur.total >= prev.total {
		st.CPUPercent = float64(cur.total-prev.total) / float64(cur.system-prev.system) * float64(cur.cpus) * 100
	}
	st.MemoryBytes = s.MemoryStats.Usage
	for _, k := range []string{"total_inactive_file", "inactive_file"} { // cgroup v1, v2
		if v, ok := s.MemoryStats.Stats[k]; ok && v < st.MemoryBytes {
			st.MemoryBytes -= v
			break
		}
	}
	return st, cur
}

func labelFilter(labels map[string]string) filters.Args {
	args := filters.NewArgs(filters.Arg("label", LabelManaged+"=true"))
	for k, v := range labels {
		args.Add("label", k+"="+v)
	}
	return args
}
