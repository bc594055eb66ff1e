package vllm

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/google/go-cmp/cmp"
)

// line is a check without its Detail, which tests match by substring.
type line struct {
	Section, Name string
	Mark          plan.Mark
	Fix           string
}

func TestCheck(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing on PATH: no vllm
	twoGPUs := func(context.Context) ([]gpu.Device, error) {
		return []gpu.Device{{Index: 0, Name: "H100", MemoryFreeMiB: 1000, MemoryTotalMiB: 80000}, {Index: 1, Name: "H100", MemoryFreeMiB: 70000, MemoryTotalMiB: 80000}}, nil
	}
	noNVML := func(context.Context) ([]gpu.Device, error) { return nil, gpu.ErrNoNVML }
	withGPU := func(ep *config.Endpoint, g string) *config.Endpoint { ep.Server.GPU = g; return ep }
	const installVLLM = `install vLLM (pip install vllm) so that vllm is on PATH, set command to another OpenAI-compatible server, or use runtime = "docker"`
	tests := []struct {
		name      string
		services  []*config.Endpoint
		inventory func(context.Context) ([]gpu.Device, error)
		environ   []string
		want      []line
		details   []string // a substring of each line's Detail
	}{
		{name: "no managed endpoint needed", want: nil},
		{
			name:      "vllm not on PATH",
			services:  []*config.Endpoint{{Name: "m", Model: "org/m", Server: &config.ManagedServer{Runtime: "process"}}},
			inventory: noNVML,
			want: []line{
				{plan.SectionEndpoints, "endpoint.m", plan.MarkNotReady, installVLLM},
				{plan.SectionGPU, "gpu", plan.MarkInfo, ""},
			},
			details: []string{"vllm is not on PATH, so apply cannot start the server", "apply skips the GPU checks"},
		},
		{
			name:      "sglang: python3 not on PATH",
			services:  []*config.Endpoint{{Name: "s", Model: "org/m", Server: &config.ManagedServer{Kind: "sglang", Runtime: "process"}}},
			inventory: noNVML,
			want: []line{
				{plan.SectionEndpoints, "endpoint.s", plan.MarkNotReady, `install SGLang (pip install "sglang[all]") for the python3 on PATH, set command to another OpenAI-compatible server, or use runtime = "docker"`},
				{plan.SectionGPU, "gpu", plan.MarkInfo, ""},
			},
			details: []string{"python3 is not on PATH, so apply cannot start the server", "apply skips the GPU checks"},
		},
		{
			name:      "command present, gpu block satisfied",
			services:  []*config.Endpoint{withGPU(managed("m", "sim"), "big")},
			inventory: twoGPUs,
			want: []line{
				{plan.SectionEndpoints, "endpoint.m", plan.MarkReady, ""},
				{plan.SectionGPU, "gpu", plan.MarkReady, ""},
				{plan.SectionGPU, "gpu.big", plan.MarkReady, ""},
			},
			details: []string{"apply starts " + os.Args[0], "2 GPU(s): 0 H100 (1000 of 80000 MiB free)", "devices 1"},
		},
		{
			name:      "command missing, gpu without enough free memory",
			services:  []*config.Endpoint{withGPU(&config.Endpoint{Name: "m", Server: &config.ManagedServer{Runtime: "process", Command: []string{"./server", "--port", "{port}"}}}, "all")},
			inventory: twoGPUs,
			want: []line{
				{plan.SectionEndpoints, "endpoint.m", plan.MarkNotReady, "install it, or fix command in the vllm block"},
				{plan.SectionGPU, "gpu", plan.MarkReady, ""},
				{plan.SectionGPU, "gpu.all", plan.MarkNotReady, ""},
			},
			details: []string{"the command's program ./server: no such file", "", "GPU 0 (H100) has 1000 MiB free, below min_free_mib = 2000"},
		},
		{
			name:      "docker runtime without a daemon",
			services:  []*config.Endpoint{{Name: "d", Model: "org/m", Server: &config.ManagedServer{Runtime: "docker"}}},
			inventory: noNVML,
			environ:   []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"},
			want: []line{
				{plan.SectionEndpoints, "endpoint.d", plan.MarkNotReady, `start the Docker daemon (dockerd) or set DOCKER_HOST, or use runtime = "process"`},
				{plan.SectionGPU, "gpu", plan.MarkInfo, ""},
			},
			details: []string{"managed (docker runtime, model \"org/m\"): docker daemon unavailable", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			p.WorkDir = t.TempDir()
			p.Inventory = tt.inventory
			p.Environ = append([]string{"PATH=" + os.Getenv("PATH")}, tt.environ...)
			p.GPUs = map[string]*config.GPU{"big": {Name: "big", Devices: []int{1}, MinFreeMiB: 2000}, "all": {Name: "all", MinFreeMiB: 2000}}
			got := p.Check(context.Background(), &config.Config{}, &plan.Needs{Services: tt.services})
			var lines []line
			for _, c := range got {
				lines = append(lines, line{c.Section, c.Name, c.Mark, c.Fix})
			}
			if diff := cmp.Diff(tt.want, lines); diff != "" {
				t.Fatalf("Check (-want +got):\n%s\n%+v", diff, got)
			}
			for i, d := range tt.details {
				if !strings.Contains(got[i].Detail, d) {
					t.Errorf("line %d: detail %q does not contain %q", i, got[i].Detail, d)
				}
			}
		})
	}
}
