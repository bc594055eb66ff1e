//go:build !cgo

package gpu

import "context"

// Inventory reports ErrNoNVML: this build has no cgo, which NVML needs.
func Inventory(ctx context.Context) ([]Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNoNVML
}

// OpenNVML reports ErrNoNVML: this build has no cgo, which NVML needs.
func OpenNVML() (Sampler, error) {
	return nil, ErrNoNVML
}
