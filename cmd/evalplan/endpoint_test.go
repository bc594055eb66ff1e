package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/status"
	"github.com/evalplan/evalplan/providers/vllm"
	"github.com/google/go-cmp/cmp"
)

// TestPrintServersGPU: endpoint list's GPU MEMORY column is used/total per device of the
// server's gpu block, and "—" when none was read; endpoint status prints a line per GPU, or
// why none was read.
func TestPrintServersGPU(t *testing.T) {
	since := time.Date(2026, 12, 5, 6, 44, 30, 0, time.Local)
	gpus := []status.GPU{
		{Index: 0, Name: "H100", MemoryUsedMiB: 62669, MemoryTotalMiB: 81920, UtilizationPct: 97, ProcessMiB: 59494},
		{Index: 1, Name: "H100", MemoryUsedMiB: 1024, MemoryTotalMiB: 81920, ProcessMiB: -1},
	}
	sts := []vllm.ServerStatus{
		{Endpoint: "big", Kind: "vllm", State: vllm.StateRunning, URL: "http://127.0.0.1:1/v1", PID: 7, StartedAt: since, Current: true, GPUs: gpus},
		{Endpoint: "laptop", Kind: "sglang", State: vllm.StateRunning, URL: "http://127.0.0.1:2/v1", PID: 8, StartedAt: since, Current: true, GPUNote: "no NVML"},
		{Endpoint: "off", Kind: "nim", State: vllm.StateStopped},
	}
	var out bytes.Buffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &out}
	printServers(c, sts)
	want := `ENDPOINT         KIND    STATE    URL                    SINCE                PROCESS  GPU MEMORY                   KEPT
endpoint.big     vllm    running  http://127.0.0.1:1/v1  2026-12-05 06:44:30  pid 7    61.2/80.0 GiB, 1.0/80.0 GiB  no
endpoint.laptop  sglang  running  http://127.0.0.1:2/v1  2026-12-05 06:44:30  pid 8    —                            no
endpoint.off     nim     stopped  -                      -                    -        —                            no
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("endpoint list (-want +got):\n%s", diff)
	}
	out.Reset()
	printServerDetails(c, sts[:2])
	for _, line := range []string{
		"  GPU 0 H100 61.2/80.0 GiB 97% (server 58.1 GiB)\n",
		"  GPU 1 H100 1.0/80.0 GiB 0%\n",
		"  GPU memory: not available (no NVML)\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("endpoint status lacks %q:\n%s", line, out.String())
		}
	}
}
