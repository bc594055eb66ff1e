package vllm

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/status"
	"github.com/evalplan/evalplan/providers/gpu"
)

// gpuWatch is the GPU watch of one running server.
type gpuWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// watchGPUs starts the GPU watch of the endpoint's server at url, when its server block names
// a gpu block and no watch runs yet: until unwatchGPUs, every WatchInterval, it reads the
// block's devices (and the memory of the server's processes), passes the pressure verdict
// to OnPressure, and writes the reading with the events OnPressure reports to
// _services/NAME.gpu.json, where `evalplan monitor` reads it. Without NVML it writes one
// reading that says so and stops.
func (p *Provider) watchGPUs(ep *config.Endpoint, s *server) {
	g := p.GPUs[ep.Server.GPU]
	if g == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watches[ep.Name] != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &gpuWatch{cancel: cancel, done: make(chan struct{})}
	if p.watches == nil {
		p.watches = map[string]*gpuWatch{}
	}
	p.watches[ep.Name] = w
	var pids []int
	if s.PID > 0 {
		pids = []int{s.PID}
	}
	go func() {
		defer close(w.done)
		p.runWatch(ctx, ep.Name, s.URL, g.Devices, pids)
	}()
}

// runWatch is the body of a GPU watch.
func (p *Provider) runWatch(ctx context.Context, name, url string, devices, pids []int) {
	path := status.GPUPath(p.Dir, name)
	write := func(r status.ServerGPUs) {
		r.Endpoint, r.Time = name, time.Now().UTC()
		if err := status.WriteServerGPUs(path, r); err != nil {
			p.log().Warn("GPU readings not written", "endpoint", name, "error", err)
		}
	}
	open := p.Sampler
	if open == nil {
		open = gpu.OpenNVML
	}
	sampler, err := open()
	if err != nil {
		reason := err.Error()
		if errors.Is(err, gpu.ErrNoNVML) {
			reason = "no NVML"
		}
		p.log().Info("GPU memory not watched", "endpoint", name, "reason", err)
		write(status.ServerGPUs{Reason: reason})
		return
	}
	defer sampler.Close()
	var events []string
	gpu.Watch(ctx, gpu.WatchOptions{
		Sampler:  sampler,
		Devices:  devices,
		PIDs:     pids,
		Interval: p.WatchInterval,
		Report: func(samples []gpu.Sample, v gpu.Verdict, err error) {
			if err != nil {
				reason := err.Error()
				if errors.Is(err, gpu.ErrNoNVML) {
					reason = "no NVML"
				}
				write(status.ServerGPUs{Reason: reason, Events: events})
				return
			}
			if p.OnPressure != nil {
				for _, e := range p.OnPressure(name, url, v) {
					p.log().Info("memory pressure", "endpoint", name, "event", e)
					events = append(events, e)
				}
				if n := len(events); n > status.MaxServerEvents {
					events = events[n-status.MaxServerEvents:]
				}
			}
			r := status.ServerGPUs{Available: true, Pressure: v.Reason, Events: events}
			if !v.Pressure {
				r.Pressure = ""
			}
			for _, s := range samples {
				r.GPUs = append(r.GPUs, status.GPU(s))
			}
			write(r)
		},
	})
}

// unwatchGPUs ends the endpoint's GPU watch, if any, and removes its readings.
func (p *Provider) unwatchGPUs(name string) {
	p.mu.Lock()
	w := p.watches[name]
	delete(p.watches, name)
	p.mu.Unlock()
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
	if err := os.Remove(status.GPUPath(p.Dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		p.log().Warn("remove GPU readings", "endpoint", name, "error", err)
	}
}
