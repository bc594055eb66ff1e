// Package gputest provides a fake gpu.Sampler for tests: GPUs whose memory use follows a
// script. It is imported by tests only.
package gputest

import (
	"context"
	"slices"
	"sync"

	"github.com/evalplan/evalplan/providers/gpu"
)

// Ramp is a gpu.Sampler of GPUs whose memory use follows Used: the k-th Sample reads
// Used[k] MiB on every device (the last value once the script runs out). It is safe for
// concurrent use.
type Ramp struct {
	// Devices are the GPUs: index, name, total memory and utilisation; MemoryUsedMiB and
	// ProcessMiB are taken from the script.
	Devices []gpu.Sample
	// Used is the script of memory use, in MiB.
	Used []int
	// Err, when set, is returned by every Sample.
	Err error

	mu      sync.Mutex
	n       int
	closed  bool
	sampled chan struct{}
}

// Sample implements gpu.Sampler.
func (r *Ramp) Sample(ctx context.Context, devices []int, pids []int) ([]gpu.Sample, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.signal()
	if r.Err != nil {
		return nil, r.Err
	}
	used := 0
	if len(r.Used) > 0 {
		used = r.Used[min(r.n, len(r.Used)-1)]
	}
	r.n++
	var out []gpu.Sample
	for _, d := range r.Devices {
		if devices != nil && !slices.Contains(devices, d.Index) {
			continue
		}
		d.MemoryUsedMiB, d.ProcessMiB = used, -1
		if len(pids) > 0 {
			d.ProcessMiB = used
		}
		out = append(out, d)
	}
	return out, nil
}

// Close implements gpu.Sampler.
func (r *Ramp) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

// Closed reports whether Close was called.
func (r *Ramp) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Sampled returns a channel that receives a value after each Sample (buffered; values
// beyond its capacity are dropped).
func (r *Ramp) Sampled() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sampled == nil {
		r.sampled = make(chan struct{}, 64)
	}
	return r.sampled
}

// signal tells Sampled of a sample. r.mu is held.
func (r *Ramp) signal() {
	if r.sampled == nil {
		return
	}
	select {
	case r.sampled <- struct{}{}:
	default:
	}
}
