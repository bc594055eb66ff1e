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
	sts := []endpointRow{
		{ServerStatus: vllm.ServerStatus{Endpoint: "big", Kind: "vllm", State: vllm.StateRunning, URL: "http://127.0.0.1:1/v1", PID: 7, StartedAt: since, Current: true, GPUs: gpus}},
		{ServerStatus: vllm.ServerStatus{Endpoint: "laptop", Kind: "sglang", State: vllm.StateRunning, URL: "http://127.0.0.1:2/v1", PID: 8, StartedAt: since, Current: true, GPUNote: "no NVML"}},
		{ServerStatus: vllm.ServerStatus{Endpoint: "off", Kind: "nim", State: vllm.StateStopped}},
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

// TestPrintServersSlurmJob: an endpoint served by a Slurm server job (model_server =
// "own_job") shows the job's state, node and URL in endpoint list, and its executor, node,
// URL, error and log in endpoint status.
func TestPrintServersSlurmJob(t *testing.T) {
	stopped := func(name string, j *serverJobInfo) endpointRow {
		return endpointRow{ServerStatus: vllm.ServerStatus{Endpoint: name, Kind: "vllm", State: vllm.StateStopped}, Job: j}
	}
	sts := []endpointRow{
		stopped("ready", &serverJobInfo{ID: "41", Executor: "slurm.gpu", State: "RUNNING", Node: "gpu-07", Elapsed: "12:03", URL: "http://gpu-07:8000/v1", Log: "/shared/servers/ready/slurm-41.out"}),
		stopped("starting", &serverJobInfo{ID: "42", Executor: "slurm.gpu", State: "RUNNING", Node: "gpu-08", Elapsed: "0:20", Log: "/shared/servers/starting/slurm-42.out"}),
		stopped("queued", &serverJobInfo{ID: "43", Executor: "slurm.gpu", State: "PENDING", Log: "/shared/servers/queued/slurm-43.out"}),
		stopped("gone", &serverJobInfo{ID: "44", Executor: "slurm.gpu", Error: "vllm exited with code 1", Log: "/shared/servers/gone/slurm-44.out"}),
	}
	var out bytes.Buffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &out}
	printServers(c, sts)
	want := `ENDPOINT           KIND  STATE                                   URL                    SINCE  PROCESS      GPU MEMORY  KEPT
endpoint.ready     vllm  slurm job 41 RUNNING                    http://gpu-07:8000/v1  -      node gpu-07  —           no
endpoint.starting  vllm  slurm job 42 RUNNING (server starting)  -                      -      node gpu-08  —           no
endpoint.queued    vllm  slurm job 43 PENDING                    -                      -      -            —           no
endpoint.gone      vllm  slurm job 44 ended                      -                      -      -            —           no
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("endpoint list (-want +got):\n%s", diff)
	}
	out.Reset()
	printServerDetails(c, sts)
	for _, line := range []string{
		"endpoint.ready: slurm job 41 RUNNING (vllm, ",
		"  server job of executor.slurm.gpu (model_server = \"own_job\"): slurm job 41 RUNNING\n  node:    gpu-07, running 12:03\n  url:     http://gpu-07:8000/v1\n  log:     /shared/servers/ready/slurm-41.out\n",
		"  server job of executor.slurm.gpu (model_server = \"own_job\"): slurm job 43 PENDING\n  log:     /shared/servers/queued/slurm-43.out\n",
		"  server job of executor.slurm.gpu (model_server = \"own_job\"): slurm job 44 ended\n  error:   vllm exited with code 1\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("endpoint status lacks %q:\n%s", line, out.String())
		}
	}
}
