//go:build unix

package vllm

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/status"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/evalplan/evalplan/providers/gpu/gputest"
	"github.com/google/go-cmp/cmp"
)

// TestGPUWatch: while a managed server with a gpu block runs, its GPUs are read into
// _services/NAME.gpu.json with the pressure verdict and the events OnPressure reports;
// Stop ends the watch and removes the readings. Without NVML the readings say so.
func TestGPUWatch(t *testing.T) {
	ctx := context.Background()
	noNVML := func(context.Context) ([]gpu.Device, error) { return nil, gpu.ErrNoNVML }

	t.Run("ramp", func(t *testing.T) {
		ramp := &gputest.Ramp{
			Devices: []gpu.Sample{{Index: 0, Name: "H100", MemoryTotalMiB: 81920, UtilizationPct: 90}, {Index: 1, Name: "H100", MemoryTotalMiB: 81920}},
			Used:    []int{40000, 60000, 80000},
		}
		sampled := ramp.Sampled()
		var (
			mu       sync.Mutex
			verdicts []gpu.Verdict
		)
		p := newProvider(t)
		p.Inventory = noNVML
		p.GPUs = map[string]*config.GPU{"node": {Name: "node", Devices: []int{0}}}
		p.Sampler = func() (gpu.Sampler, error) { return ramp, nil }
		p.WatchInterval = gpu.MinWatchInterval
		p.OnPressure = func(endpoint, url string, v gpu.Verdict) []string {
			mu.Lock()
			defer mu.Unlock()
			verdicts = append(verdicts, v)
			// Lowered once, as a limiter in its cooldown would.
			if v.Pressure && endpoint == "sim" && url != "" && !verdicts[max(0, len(verdicts)-2)].Pressure {
				return []string{"concurrency lowered 64 → 32: " + v.Reason}
			}
			return nil
		}
		ep := managed("sim", "sim")
		ep.Server.GPU = "node"
		if _, err := p.Start(ctx, ep); err != nil {
			t.Fatal(err)
		}
		for range 4 { // the fourth reading begins after the third was written
			<-sampled
		}
		got, err := status.ReadServerGPUs(p.Dir, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		want := []status.ServerGPUs{{
			Endpoint: "sim", Available: true,
			GPUs:     []status.GPU{{Index: 0, Name: "H100", MemoryUsedMiB: 80000, MemoryTotalMiB: 81920, UtilizationPct: 90, ProcessMiB: 80000}},
			Pressure: "GPU 0 at 97% memory",
			Events:   []string{"concurrency lowered 64 → 32: GPU 0 at 97% memory"},
		}}
		ignoreTime := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Time" }, cmp.Ignore())
		if diff := cmp.Diff(want, got, ignoreTime); diff != "" {
			t.Errorf("readings (-want +got):\n%s", diff)
		}
		if err := p.Stop(ctx, ep); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(status.GPUPath(p.Dir, "sim")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("readings left after Stop: %v", err)
		}
		if !ramp.Closed() {
			t.Error("sampler not closed")
		}
		mu.Lock()
		defer mu.Unlock()
		if len(verdicts) < 3 || verdicts[0].Pressure || verdicts[1].Pressure || !verdicts[2].Pressure {
			t.Errorf("verdicts %+v: want none, none, then pressure", verdicts)
		}
	})

	t.Run("no NVML", func(t *testing.T) {
		p := newProvider(t)
		p.Inventory = noNVML
		p.GPUs = map[string]*config.GPU{"node": {Name: "node"}}
		p.Sampler = func() (gpu.Sampler, error) { return nil, gpu.ErrNoNVML }
		ep := managed("sim", "sim")
		ep.Server.GPU = "node"
		if _, err := p.Start(ctx, ep); err != nil {
			t.Fatal(err)
		}
		defer p.Stop(ctx, ep)
		p.mu.Lock()
		w := p.watches["sim"]
		p.mu.Unlock()
		<-w.done
		got, err := status.ReadServerGPUs(p.Dir, time.Time{})
		if err != nil || len(got) != 1 || got[0].Available || got[0].Reason != "no NVML" {
			t.Errorf("readings %+v, %v; want one saying no NVML", got, err)
		}
	})

	t.Run("no gpu block, no watch", func(t *testing.T) {
		p := newProvider(t)
		p.Sampler = func() (gpu.Sampler, error) { t.Error("sampler opened"); return nil, gpu.ErrNoNVML }
		ep := managed("sim", "sim")
		if _, err := p.Start(ctx, ep); err != nil {
			t.Fatal(err)
		}
		defer p.Stop(ctx, ep)
		if m, _ := filepath.Glob(filepath.Join(p.Dir, ServicesDir, "*.gpu.json")); len(m) != 0 {
			t.Errorf("readings written: %v", m)
		}
	})
}

// TestServicesDirAgrees: the readings live beside the server records.
func TestServicesDirAgrees(t *testing.T) {
	if got, want := filepath.Dir(status.GPUPath("/out", "x")), filepath.Join("/out", ServicesDir); got != want {
		t.Errorf("GPU readings in %s, server records in %s", got, want)
	}
}

// TestStatusGPUs: Status reads the GPUs of a running server's gpu block once, with the
// memory of its processes; without NVML it says so; a stopped server is not read.
func TestStatusGPUs(t *testing.T) {
	ctx := context.Background()
	ramp := &gputest.Ramp{Devices: []gpu.Sample{{Index: 0, Name: "H100", MemoryTotalMiB: 81920, UtilizationPct: 97}, {Index: 1, Name: "H100", MemoryTotalMiB: 81920}}, Used: []int{62669}}
	p := newProvider(t)
	p.Inventory = func(context.Context) ([]gpu.Device, error) { return nil, gpu.ErrNoNVML }
	p.GPUs = map[string]*config.GPU{"node": {Name: "node", Devices: []int{0}}}
	p.Sampler = func() (gpu.Sampler, error) { return ramp, nil }
	ep := managed("sim", "sim")
	ep.Server.GPU = "node"
	if st := p.Status(ctx, ep); st.GPUs != nil || st.GPUNote != "" {
		t.Errorf("stopped server: GPUs %v, note %q", st.GPUs, st.GPUNote)
	}
	if _, err := p.StartKept(ctx, ep); err != nil {
		t.Fatal(err)
	}
	defer p.StopKept(ctx, ep)
	st := p.Status(ctx, ep)
	want := []status.GPU{{Index: 0, Name: "H100", MemoryUsedMiB: 62669, MemoryTotalMiB: 81920, UtilizationPct: 97, ProcessMiB: 62669}}
	if diff := cmp.Diff(want, st.GPUs); diff != "" || st.GPUNote != "" {
		t.Errorf("GPUs (-want +got):\n%s\nnote %q", diff, st.GPUNote)
	}
	p.Sampler = func() (gpu.Sampler, error) { return nil, gpu.ErrNoNVML }
	if st := p.Status(ctx, ep); st.GPUs != nil || st.GPUNote != "no NVML" {
		t.Errorf("no NVML: GPUs %v, note %q", st.GPUs, st.GPUNote)
	}
}
