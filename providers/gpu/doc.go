// Package gpu is evalplan's GPU provider: an NVML inventory of the machine's GPUs (index,
// name, memory total and free, utilisation) and the selection of devices for a managed
// endpoint from a gpu block (devices, min_free_mib).
//
// NVML needs cgo: the NVML calls are built only with cgo (github.com/NVIDIA/go-nvml, which
// loads libnvidia-ml at run time); without cgo, or when the library cannot be loaded, Inventory
// returns ErrNoNVML. GPUs are never required for external endpoints.
//
// It imports plan/config only.
package gpu
