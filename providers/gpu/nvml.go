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
