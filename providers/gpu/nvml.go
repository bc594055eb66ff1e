//go:build cgo

package gpu

import (
	"context"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Inventory lists the machine's GPUs through NVML. Without an NVIDIA driver it returns
// ErrNoNVML.
func Inventory(ctx context.Context) ([]Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ret := nvml.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND || ret == nvml.ERROR_DRIVER_NOT_LOADED || ret == nvml.ERROR_NO_PERMISSION {
			return nil, fmt.Errorf("%w: %s", ErrNoNVML, nvml.ErrorString(ret))
		}
		return nil, fmt.Errorf("initialise NVML: %s", nvml.ErrorString(ret))
	}
	defer nvml.Shutdown()
	n, ret := nvml.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("NVML device count: %s", nvml.ErrorString(ret))
	}
	out := make([]Device, 0, n)
	for i := 0; i < n; i++ {
		d, err := device(i)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// device reads one GPU; utilisation is best effort (some GPUs do not report it).
func device(i int) (Device, error) {
	h, ret := nvml.DeviceGetHandleByIndex(i)
	if ret != nvml.SUCCESS {
		return Device{}, fmt.Errorf("NVML device %d: %s", i, nvml.ErrorString(ret))
	}
	d := Device{Index: i}
	d.Name, _ = h.GetName()
	d.UUID, _ = h.GetUUID()
	mem, ret := h.GetMemoryInfo()
	if ret != nvml.SUCCESS {
		return Device{}, fmt.Errorf("NVML memory of device %d: %s", i, nvml.ErrorString(ret))
	}
	d.MemoryTotalMiB = int(mem.Total >> 20)
	d.MemoryFreeMiB = int(mem.Free >> 20)
	if u, ret := h.GetUtilizationRates(); ret == nvml.SUCCESS {
		d.UtilizationPct = int(u.Gpu)
	}
	return d, nil
}

// nvmlSampler is the Sampler on NVML; NVML stays initialised until Close.
type nvmlSampler struct{}

// OpenNVML initialises NVML and returns a Sampler on it; without an NVIDIA driver it
// returns ErrNoNVML.
func OpenNVML() (Sampler, error) {
	if ret := nvml.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND || ret == nvml.ERROR_DRIVER_NOT_LOADED || ret == nvml.ERROR_NO_PERMISSION {
			return nil, fmt.Errorf("%w: %s", ErrNoNVML, nvml.ErrorString(ret))
		}
		return nil, fmt.Errorf("initialise NVML: %s", nvml.ErrorString(ret))
	}
	return nvmlSampler{}, nil
}

// Close implements Sampler.
func (nvmlSampler) Close() error {
	if ret := nvml.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("shut NVML down: %s", nvml.ErrorString(ret))
	}
	return nil
}

// Sample implements Sampler.
func (nvmlSampler) Sample(ctx context.Context, devices []int, pids []int) ([]Sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if devices == nil {
		n, ret := nvml.DeviceGetCount()
		if ret != nvml.SUCCESS {
			return nil, fmt.Errorf("NVML device count: %s", nvml.ErrorString(ret))
		}
		for i := range n {
			devices = append(devices, i)
		}
	}
	out := make([]Sample, 0, len(devices))
	for _, i := range devices {
		d, err := device(i)
		if err != nil {
			return nil, err
		}
		s := Sample{Index: i, Name: d.Name, MemoryTotalMiB: d.MemoryTotalMiB, MemoryUsedMiB: d.MemoryTotalMiB - d.MemoryFreeMiB, UtilizationPct: d.UtilizationPct, ProcessMiB: -1}
		if len(pids) > 0 {
			s.ProcessMiB = processMiB(i, pids)
		}
		out = append(out, s)
	}
	return out, nil
}

// processMiB sums the GPU memory of the compute and graphics processes of device i that
// belong to pids (inSession); -1 when NVML cannot list them.
func processMiB(i int, pids []int) int {
	h, ret := nvml.DeviceGetHandleByIndex(i)
	if ret != nvml.SUCCESS {
		return -1
	}
	procs, ret := h.GetComputeRunningProcesses()
	if ret != nvml.SUCCESS {
		return -1
	}
	if g, ret := h.GetGraphicsRunningProcesses(); ret == nvml.SUCCESS {
		procs = append(procs, g...)
	}
	var sum uint64
	for _, p := range procs {
		if inSession(int(p.Pid), pids) {
			sum += p.UsedGpuMemory
		}
	}
	return int(sum >> 20)
}
