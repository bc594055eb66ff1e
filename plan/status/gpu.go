package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ServicesDir is the directory under the output directory where managed servers keep their
// logs, launch records and GPU readings.
const ServicesDir = "_services"

// gpuSuffix ends the name of a server's GPU readings file: _services/NAME.gpu.json.
const gpuSuffix = ".gpu.json"

// MaxServerEvents is how many of its latest events a ServerGPUs keeps.
const MaxServerEvents = 10

// ServerGPUs is the latest GPU reading of a managed server while apply runs it, as apply
// writes it to <output_dir>/_services/NAME.gpu.json and `evalplan monitor` shows it.
type ServerGPUs struct {
	// Endpoint names the managed endpoint.
	Endpoint string    `json:"endpoint"`
	Time     time.Time `json:"time"`
	// Available is false when nothing could be sampled; Reason then says why ("no NVML").
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	GPUs      []GPU  `json:"gpus,omitempty"`
	// Pressure is the latest pressure verdict ("GPU 0 at 97% memory"); "" when none.
	Pressure string `json:"pressure,omitempty"`
	// Events are the latest changes memory pressure made ("concurrency lowered 64 → 32:
	// GPU 0 at 97% memory"), oldest first, at most MaxServerEvents.
	Events []string `json:"events,omitempty"`
}

// GPU is one device of a ServerGPUs reading.
type GPU struct {
	Index          int    `json:"index"`
	Name           string `json:"name"`
	MemoryUsedMiB  int    `json:"memory_used_mib"`
	MemoryTotalMiB int    `json:"memory_total_mib"`
	UtilizationPct int    `json:"utilization_pct"`
	// ProcessMiB is the server's own memory on the device; -1 when unknown.
	ProcessMiB int `json:"process_mib"`
}

// GPUPath is where apply writes the GPU readings of endpoint's server under outputDir.
func GPUPath(outputDir, endpoint string) string {
	return filepath.Join(outputDir, ServicesDir, endpoint+gpuSuffix)
}

// WriteServerGPUs writes g to path atomically.
func WriteServerGPUs(path string, g ServerGPUs) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("encode GPU readings: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write GPU readings: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write GPU readings: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write GPU readings: %w", err)
	}
	return nil
}

// ReadServerGPUs reads the GPU readings under outputDir taken at since or later (older ones
// are from an earlier apply), sorted by endpoint. A missing directory reads as none; an
// unreadable file is an error that names it.
func ReadServerGPUs(outputDir string, since time.Time) ([]ServerGPUs, error) {
	paths, err := filepath.Glob(filepath.Join(outputDir, ServicesDir, "*"+gpuSuffix))
	if err != nil {
		return nil, err
	}
	var out []ServerGPUs
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed as its server stopped
		}
		if err != nil {
			return nil, fmt.Errorf("read GPU readings: %w", err)
		}
		var g ServerGPUs
		if err := json.Unmarshal(b, &g); err != nil {
			return nil, fmt.Errorf("%s: not GPU readings (%v); delete it, apply writes it again", p, err)
		}
		if g.Time.Before(since) {
			continue
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint < out[j].Endpoint })
	return out, nil
}

// DescribeGPU is "GPU 0 H100 61.2/80.0 GiB 97%", with " (server 58.1 GiB)" when the
// server's own memory is known.
func DescribeGPU(g GPU) string {
	s := fmt.Sprintf("GPU %d %s %s/%s GiB %d%%", g.Index, g.Name, gib(g.MemoryUsedMiB), gib(g.MemoryTotalMiB), g.UtilizationPct)
	if g.ProcessMiB >= 0 {
		s += fmt.Sprintf(" (server %s GiB)", gib(g.ProcessMiB))
	}
	return s
}

// DescribeGPUMemory is the GPU memory of a server in one cell: "61.2/80.0 GiB" per device,
// joined by ", "; "—" when there are none.
func DescribeGPUMemory(gpus []GPU) string {
	if len(gpus) == 0 {
		return "—"
	}
	parts := make([]string, len(gpus))
	for i, g := range gpus {
		parts[i] = fmt.Sprintf("%s/%s GiB", gib(g.MemoryUsedMiB), gib(g.MemoryTotalMiB))
	}
	return strings.Join(parts, ", ")
}

// writeServerGPUs writes the GPU section of a snapshot.
func writeServerGPUs(b *strings.Builder, gs []ServerGPUs, now time.Time) {
	for _, g := range gs {
		fmt.Fprintf(b, "\nendpoint.%s GPUs", g.Endpoint)
		if age := now.Sub(g.Time).Round(time.Second); age > 0 && g.Available {
			fmt.Fprintf(b, " (read %s ago)", age)
		}
		b.WriteString(":\n")
		if !g.Available {
			reason := g.Reason
			if reason == "" {
				reason = "unknown"
			}
			fmt.Fprintf(b, "    GPU memory: not available (%s)\n", reason)
		}
		for _, d := range g.GPUs {
			fmt.Fprintf(b, "    %s\n", DescribeGPU(d))
		}
		if g.Pressure != "" {
			fmt.Fprintf(b, "    memory pressure: %s\n", g.Pressure)
		}
		for _, e := range g.Events {
			fmt.Fprintf(b, "    %s\n", e)
		}
	}
}

// gib formats MiB as GiB with one decimal.
func gib(mib int) string {
	return strconv.FormatFloat(float64(mib)/1024, 'f', 1, 64)
}
