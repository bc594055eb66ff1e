package vllm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/google/go-cmp/cmp"
)

// derivingProvider is a Provider with a local model directory "m" holding testdata model
// NAME, a gpu block g (declared when count > 0) and an inventory that reports inv or err.
func derivingProvider(t *testing.T, name string, g *config.GPU, inv []gpu.Device, err error) *Provider {
	t.Helper()
	dir := t.TempDir()
	b, rerr := os.ReadFile(filepath.Join("testdata", "models", name+".json"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "m", "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	g.Name = "g"
	return &Provider{Dir: dir, WorkDir: dir, GPUs: map[string]*config.GPU{"g": g}, Environ: []string{},
		Inventory: func(context.Context) ([]gpu.Device, error) { return inv, err }}
}

func TestPlanService(t *testing.T) {
	tests := []struct {
		name         string
		model        string
		gpu          *config.GPU
		inv          []gpu.Device
		invErr       error
		server       config.ManagedServer
		wantSettings []string
		wantWarning  string
	}{
		{name: "declared inventory", model: "llama-3.1-8b", gpu: &config.GPU{Count: 1, MemoryMiB: 24576}, invErr: gpu.ErrNoNVML,
			wantSettings: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_model_len = 37888: the KV cache holds 38035 tokens, fewer than the model's 131072 (truncates the context)",
				"max_num_seqs = 18: the KV cache holds 18 sequences of 2048 tokens",
				"(derived from gpu.g's declared inventory)",
			}},
		{name: "NVML with mixed free memory", model: "llama-3-70b", gpu: &config.GPU{}, inv: testInventory("mixed"),
			wantSettings: []string{
				"tensor_parallel_size = 4: 131 GiB of bf16 weights with 10 GiB of KV cache do not fit 2 × 80 GiB GPUs at 0.90",
				"gpu_memory_utilization = 0.73: GPU 2 has 60 GiB free of 80 GiB (other processes hold 20 GiB), less a 0.02 margin",
				"max_model_len = 8192: the model's maximum; the KV cache holds 308628 tokens",
				"max_num_seqs = 150: the KV cache holds 150 sequences of 2048 tokens",
				"(derived from NVML)",
			}},
		{name: "devices select from NVML", model: "llama-3-8b", gpu: &config.GPU{Devices: []int{2}}, inv: testInventory("mixed"),
			wantSettings: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 80 GiB GPU at 0.73",
				"gpu_memory_utilization = 0.73: GPU 2 has 60 GiB free of 80 GiB (other processes hold 20 GiB), less a 0.02 margin",
				"max_model_len = 8192: the model's maximum; the KV cache holds 339500 tokens",
				"max_num_seqs = 165: the KV cache holds 165 sequences of 2048 tokens",
				"(derived from NVML)",
			}},
		{name: "NVML truncation warns", model: "llama-3.1-8b", gpu: &config.GPU{}, inv: testInventory("1x24"),
			wantSettings: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_model_len = 37888: the KV cache holds 38035 tokens, fewer than the model's 131072 (truncates the context)",
				"max_num_seqs = 18: the KV cache holds 18 sequences of 2048 tokens",
				"(derived from NVML)",
			},
			wantWarning: "endpoint.e: the derived max_model_len = 37888 truncates the model's context and depends on this machine's free GPU memory, so it is not part of the endpoint's identity; set max_model_len in the vllm block, or declare the GPUs in gpu.g (count, memory), to make it one"},
		{name: "no NVML, no inventory", model: "llama-3-8b", gpu: &config.GPU{}, invErr: gpu.ErrNoNVML,
			wantWarning: "endpoint.e: settings not derived: no GPU inventory: " + gpu.ErrNoNVML.Error() + ", and gpu.g declares no inventory; the server starts with the values set in its vllm block and vLLM's defaults for the others; to derive them here, declare the GPUs the server will run on in gpu.g (count, memory), or set tensor_parallel_size, gpu_memory_utilization and max_model_len"},
		{name: "own command: nothing derived", model: "llama-3-8b", gpu: &config.GPU{Count: 1, MemoryMiB: 81920},
			server: config.ManagedServer{Command: []string{"server"}}},
		{name: "every value set: nothing derived", model: "llama-3-8b", gpu: &config.GPU{Count: 1, MemoryMiB: 81920},
			server: config.ManagedServer{TensorParallelSize: 1, GPUMemoryUtilization: 0.5, MaxModelLen: 4096, ExtraArgs: []string{"--max-num-seqs=8"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := derivingProvider(t, tt.model, tt.gpu, tt.inv, tt.invErr)
			v := tt.server
			v.GPU, v.Runtime = "g", "process"
			settings, warnings := p.PlanService(context.Background(), &config.Endpoint{Name: "e", Model: "m", Server: &v})
			if diff := cmp.Diff(tt.wantSettings, settings); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			var want []string
			if tt.wantWarning != "" {
				want = []string{tt.wantWarning}
			}
			if diff := cmp.Diff(want, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDerivedServeArgs: the derived values reach vllm serve; the user's win; a truncating
// max_model_len is in the fingerprint, others are not.
func TestDerivedServeArgs(t *testing.T) {
	tests := []struct {
		name, model string
		gpu         *config.GPU
		server      config.ManagedServer
		wantArgs    string
		wantFPLen   int
	}{
		{name: "truncated context", model: "llama-3.1-8b", gpu: &config.GPU{Count: 1, MemoryMiB: 24576},
			wantArgs:  "m --host 127.0.0.1 --port 8000 --tensor-parallel-size 1 --gpu-memory-utilization 0.9 --max-model-len 37888 --max-num-seqs 18",
			wantFPLen: 37888},
		{name: "full context", model: "llama-3.1-8b", gpu: &config.GPU{Count: 8, MemoryMiB: 81920},
			wantArgs: "m --host 127.0.0.1 --port 8000 --tensor-parallel-size 1 --gpu-memory-utilization 0.9 --max-model-len 131072 --max-num-seqs 220"},
		{name: "user values win", model: "llama-3.1-8b", gpu: &config.GPU{Count: 8, MemoryMiB: 81920},
			server:    config.ManagedServer{TensorParallelSize: 2, MaxModelLen: 4096, ExtraArgs: []string{"--max-num-seqs", "16"}},
			wantArgs:  "m --host 127.0.0.1 --port 8000 --tensor-parallel-size 2 --gpu-memory-utilization 0.9 --max-model-len 4096 --max-num-seqs 16",
			wantFPLen: 4096},
	}
	tests = append(tests, struct {
		name, model string
		gpu         *config.GPU
		server      config.ManagedServer
		wantArgs    string
		wantFPLen   int
	}{name: "truncated by NVML: not in the fingerprint", model: "llama-3.1-8b", gpu: &config.GPU{},
		wantArgs: "m --host 127.0.0.1 --port 8000 --tensor-parallel-size 1 --gpu-memory-utilization 0.9 --max-model-len 37888 --max-num-seqs 18"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := derivingProvider(t, tt.model, tt.gpu, testInventory("1x24"), nil)
			v := tt.server
			v.GPU, v.Runtime = "g", "process"
			ep := &config.Endpoint{Name: "e", Model: "m", Server: &v}
			got := strings.Join(ServeArgs(withDerived(ep, p.derive(context.Background(), ep)), 8000), " ")
			if diff := cmp.Diff(tt.wantArgs, got); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if got := p.ConfigFingerprint(ep).MaxModelLen; got != tt.wantFPLen {
				t.Errorf("fingerprint max_model_len = %d, want %d", got, tt.wantFPLen)
			}
			if ep.Server.TensorParallelSize != tt.server.TensorParallelSize {
				t.Error("withDerived changed the configuration's endpoint")
			}
		})
	}
}
