package gpu

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
)

// ErrNoNVML means NVML is not available: a build without cgo, or no NVIDIA driver
// (libnvidia-ml) on this machine.
var ErrNoNVML = errors.New("no NVML (NVIDIA driver library libnvidia-ml not loadable, or evalplan built without cgo)")

// Device is one GPU as NVML reports it.
type Device struct {
	Index int    `json:"index"`
	UUID  string `json:"uuid"`
	Name  string `json:"name"`
	// MemoryTotalMiB and MemoryFreeMiB are in MiB (2^20 bytes).
	MemoryTotalMiB int `json:"memory_total_mib"`
	MemoryFreeMiB  int `json:"memory_free_mib"`
	// UtilizationPct is the percentage of time a kernel ran over the last sample period.
	UtilizationPct int `json:"utilization_pct"`
}

// Select picks the devices of a gpu block from an inventory: the listed indexes, or every
// device when the block says "all" (Devices nil). Every selected device must have at least
// the block's min_free_mib free. Errors name the block and say what to do.
func Select(inv []Device, g *config.GPU) ([]Device, error) {
	name := "gpu." + g.Name
	var out []Device
	if g.Devices == nil {
		out = slices.Clone(inv)
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: NVML reports no GPUs on this machine", name)
		}
	}
	for _, idx := range g.Devices {
		i := slices.IndexFunc(inv, func(d Device) bool { return d.Index == idx })
		if i < 0 {
			return nil, fmt.Errorf("%s: there is no GPU %d (this machine has %d); fix devices", name, idx, len(inv))
		}
		out = append(out, inv[i])
	}
	var short []string
	for _, d := range out {
		if d.MemoryFreeMiB < g.MinFreeMiB {
			short = append(short, fmt.Sprintf("GPU %d (%s) has %d MiB free", d.Index, d.Name, d.MemoryFreeMiB))
		}
	}
	if len(short) > 0 {
		return nil, fmt.Errorf("%s: %s, below min_free_mib = %d; free the memory (another process holds it) or lower min_free_mib", name, strings.Join(short, ", "), g.MinFreeMiB)
	}
	return out, nil
}

// Indexes are the devices' indexes, in order.
func Indexes(devs []Device) []int {
	out := make([]int, len(devs))
	for i, d := range devs {
		out[i] = d.Index
	}
	return out
}

// Declared is the inventory a gpu block declares (count, memory, name) for GPUs that are not
// local, every device free; nil when the block declares none.
func Declared(g *config.GPU) []Device {
	if g == nil || g.Count == 0 {
		return nil
	}
	out := make([]Device, g.Count)
	for i := range out {
		out[i] = Device{Index: i, Name: g.DeviceName, MemoryTotalMiB: g.MemoryMiB, MemoryFreeMiB: g.MemoryMiB}
	}
	return out
}
