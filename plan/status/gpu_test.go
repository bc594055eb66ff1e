package status

import (
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
)

// TestServerGPUs: readings written by apply are read back when taken during the running
// apply, and shown per GPU; a server without NVML says so.
func TestServerGPUs(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	local := ServerGPUs{
		Endpoint: "local", Time: start.Add(10 * time.Second), Available: true,
		GPUs: []GPU{
			{Index: 0, Name: "H100", MemoryUsedMiB: 62669, MemoryTotalMiB: 81920, UtilizationPct: 97, ProcessMiB: 59494},
			{Index: 1, Name: "H100", MemoryUsedMiB: 79462, MemoryTotalMiB: 81920, UtilizationPct: 88, ProcessMiB: -1},
		},
		Pressure: "GPU 1 at 97% memory",
		Events:   []string{"concurrency lowered 64 → 32: GPU 1 at 97% memory"},
	}
	laptop := ServerGPUs{Endpoint: "laptop", Time: start.Add(5 * time.Second), Reason: "no NVML"}
	old := ServerGPUs{Endpoint: "old", Time: start.Add(-time.Hour), Available: true}
	for _, g := range []ServerGPUs{local, laptop, old} {
		if err := WriteServerGPUs(GPUPath(dir, g.Endpoint), g); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadServerGPUs(dir, start)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]ServerGPUs{laptop, local}, got); diff != "" {
		t.Fatalf("readings (-want +got):\n%s", diff)
	}
	var b strings.Builder
	s := &Snapshot{Time: start.Add(12 * time.Second), Holder: &state.Holder{PID: 7, Host: "h", Command: "apply", Started: start}, Servers: got}
	if err := WriteSnapshot(&b, s); err != nil {
		t.Fatal(err)
	}
	want := `Apply running: pid 7 (apply) on host h since 2026-01-02T03:04:00Z (12s ago)

No run started yet.

endpoint.laptop GPUs:
    GPU memory: not available (no NVML)

endpoint.local GPUs (read 2s ago):
    GPU 0 H100 61.2/80.0 GiB 97% (server 58.1 GiB)
    GPU 1 H100 77.6/80.0 GiB 88%
    memory pressure: GPU 1 at 97% memory
    concurrency lowered 64 → 32: GPU 1 at 97% memory
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("monitor text (-want +got):\n%s", diff)
	}
	if got, want := DescribeGPUMemory(local.GPUs), "61.2/80.0 GiB, 77.6/80.0 GiB"; got != want {
		t.Errorf("DescribeGPUMemory = %q, want %q", got, want)
	}
	if got := DescribeGPUMemory(nil); got != "—" {
		t.Errorf("DescribeGPUMemory(nil) = %q, want —", got)
	}
}
