package vllm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/providers/gpu"
)

// testModel reads testdata/models/NAME.json.
func testModel(t *testing.T, name string) ModelConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "models", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModelConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testInventory is a named GPU inventory: 1x24 (one free 24 GiB GPU), 8x80, 1x141 and
// mixed (four 80 GiB GPUs, GPU 2 with 60 GiB free).
func testInventory(name string) []gpu.Device {
	n, total, name2 := 0, 0, ""
	switch name {
	case "1x24":
		n, total, name2 = 1, 24576, "NVIDIA GeForce RTX 4090"
	case "8x80":
		n, total, name2 = 8, 81920, "NVIDIA H100 80GB HBM3"
	case "1x141":
		n, total, name2 = 1, 144384, "NVIDIA H200"
	case "mixed":
		devs := testInventory("8x80")[:4]
		devs[2].MemoryFreeMiB = 60 * 1024
		return devs
	}
	out := make([]gpu.Device, n)
	for i := range out {
		out[i] = gpu.Device{Index: i, Name: name2, MemoryTotalMiB: total, MemoryFreeMiB: total}
	}
	return out
}

func TestDerive(t *testing.T) {
	tests := []struct {
		model, gpus string
		want        Settings
		reasons     []string
		wantErr     string
	}{
		{model: "qwen2.5-0.5b", gpus: "1x24",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 256, KVCacheTokens: 1632276, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 0.9 GiB of bf16 weights with 0.4 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 1632276 tokens",
				"max_num_seqs = 256: the KV cache holds 797 sequences of 2048 tokens; vLLM's default 256 is the most",
			}},
		{model: "qwen2.5-0.5b", gpus: "8x80",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 256, KVCacheTokens: 6036296, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 0.9 GiB of bf16 weights with 0.4 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 6036296 tokens",
				"max_num_seqs = 256: the KV cache holds 2947 sequences of 2048 tokens; vLLM's default 256 is the most",
			}},
		{model: "qwen2.5-0.5b", gpus: "1x141",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 256, KVCacheTokens: 10833531, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 0.9 GiB of bf16 weights with 0.4 GiB of KV cache fit one 141 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 141 GiB of 141 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 10833531 tokens",
				"max_num_seqs = 256: the KV cache holds 5289 sequences of 2048 tokens; vLLM's default 256 is the most",
			}},
		{model: "qwen2.5-0.5b", gpus: "mixed",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 256, KVCacheTokens: 6036296, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 0.9 GiB of bf16 weights with 0.4 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 6036296 tokens",
				"max_num_seqs = 256: the KV cache holds 2947 sequences of 2048 tokens; vLLM's default 256 is the most",
			}},
		{model: "llama-3-8b", gpus: "1x24",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 18, KVCacheTokens: 38035, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_model_len = 8192: the model's maximum; the KV cache holds 38035 tokens",
				"max_num_seqs = 18: the KV cache holds 18 sequences of 2048 tokens",
			}},
		{model: "llama-3-8b", gpus: "8x80",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 220, KVCacheTokens: 450912, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 8192: the model's maximum; the KV cache holds 450912 tokens",
				"max_num_seqs = 220: the KV cache holds 220 sequences of 2048 tokens",
			}},
		{model: "llama-3-8b", gpus: "1x141",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 256, KVCacheTokens: 900652, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 141 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 141 GiB of 141 GiB free",
				"max_model_len = 8192: the model's maximum; the KV cache holds 900652 tokens",
				"max_num_seqs = 256: the KV cache holds 439 sequences of 2048 tokens; vLLM's default 256 is the most",
			}},
		{model: "llama-3-8b", gpus: "mixed",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 220, KVCacheTokens: 450912, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 8192: the model's maximum; the KV cache holds 450912 tokens",
				"max_num_seqs = 220: the KV cache holds 220 sequences of 2048 tokens",
			}},
		{model: "llama-3.1-8b", gpus: "1x24",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 37888, MaxNumSeqs: 18, KVCacheTokens: 38035, Truncates: true},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_model_len = 37888: the KV cache holds 38035 tokens, fewer than the model's 131072 (truncates the context)",
				"max_num_seqs = 18: the KV cache holds 18 sequences of 2048 tokens",
			}},
		{model: "llama-3.1-8b", gpus: "8x80",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 131072, MaxNumSeqs: 220, KVCacheTokens: 450912, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 131072: the model's maximum; the KV cache holds 450912 tokens",
				"max_num_seqs = 220: the KV cache holds 220 sequences of 2048 tokens",
			}},
		{model: "llama-3.1-8b", gpus: "1x141",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 131072, MaxNumSeqs: 256, KVCacheTokens: 900652, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 141 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 141 GiB of 141 GiB free",
				"max_model_len = 131072: the model's maximum; the KV cache holds 900652 tokens",
				"max_num_seqs = 256: the KV cache holds 439 sequences of 2048 tokens; vLLM's default 256 is the most",
			}},
		{model: "llama-3.1-8b", gpus: "mixed",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 131072, MaxNumSeqs: 220, KVCacheTokens: 450912, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 131072: the model's maximum; the KV cache holds 450912 tokens",
				"max_num_seqs = 220: the KV cache holds 220 sequences of 2048 tokens",
			}},
		{model: "llama-3-70b", gpus: "1x24",
			wantErr: "131 GiB of bf16 weights and 10 GiB of KV cache (32768 tokens) do not fit 1 × 24 GiB GPU at 0.90 (20 GiB usable per GPU); add GPUs, free memory, serve a quantized model, or lower max_model_len"},
		{model: "llama-3-70b", gpus: "8x80",
			want: Settings{TensorParallelSize: 4, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 237, KVCacheTokens: 486886, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 4: 131 GiB of bf16 weights with 10 GiB of KV cache do not fit 2 × 80 GiB GPUs at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; every GPU has at least 80 GiB of 80 GiB free",
				"max_model_len = 8192: the model's maximum; the KV cache holds 486886 tokens",
				"max_num_seqs = 237: the KV cache holds 237 sequences of 2048 tokens",
			}},
		{model: "llama-3-70b", gpus: "1x141",
			wantErr: "131 GiB of bf16 weights and 10 GiB of KV cache (32768 tokens) do not fit 1 × 141 GiB GPU at 0.90 (125 GiB usable per GPU); add GPUs, free memory, serve a quantized model, or lower max_model_len"},
		{model: "llama-3-70b", gpus: "mixed",
			want: Settings{TensorParallelSize: 4, GPUMemoryUtilization: 0.73, MaxModelLen: 8192, MaxNumSeqs: 150, KVCacheTokens: 308628, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 4: 131 GiB of bf16 weights with 10 GiB of KV cache do not fit 2 × 80 GiB GPUs at 0.90",
				"gpu_memory_utilization = 0.73: GPU 2 has 60 GiB free of 80 GiB (other processes hold 20 GiB), less a 0.02 margin",
				"max_model_len = 8192: the model's maximum; the KV cache holds 308628 tokens",
				"max_num_seqs = 150: the KV cache holds 150 sequences of 2048 tokens",
			}},
		{model: "mixtral-8x7b", gpus: "1x24",
			wantErr: "87 GiB of bf16 weights and 4.0 GiB of KV cache (32768 tokens) do not fit 1 × 24 GiB GPU at 0.90 (20 GiB usable per GPU); add GPUs, free memory, serve a quantized model, or lower max_model_len"},
		{model: "mixtral-8x7b", gpus: "8x80",
			want: Settings{TensorParallelSize: 2, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 212, KVCacheTokens: 434272, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 2: 87 GiB of bf16 weights with 4.0 GiB of KV cache do not fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; every GPU has at least 80 GiB of 80 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 434272 tokens",
				"max_num_seqs = 212: the KV cache holds 212 sequences of 2048 tokens",
			}},
		{model: "mixtral-8x7b", gpus: "1x141",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 151, KVCacheTokens: 310572, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 1: 87 GiB of bf16 weights with 4.0 GiB of KV cache fit one 141 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 141 GiB of 141 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 310572 tokens",
				"max_num_seqs = 151: the KV cache holds 151 sequences of 2048 tokens",
			}},
		{model: "mixtral-8x7b", gpus: "mixed",
			want: Settings{TensorParallelSize: 2, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 212, KVCacheTokens: 434272, Truncates: false},
			reasons: []string{
				"tensor_parallel_size = 2: 87 GiB of bf16 weights with 4.0 GiB of KV cache do not fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; every GPU has at least 80 GiB of 80 GiB free",
				"max_model_len = 32768: the model's maximum; the KV cache holds 434272 tokens",
				"max_num_seqs = 212: the KV cache holds 212 sequences of 2048 tokens",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.gpus, func(t *testing.T) {
			got, reasons, err := Derive(testModel(t, tt.model), testInventory(tt.gpus), config.ManagedServer{})
			checkDerived(t, got, reasons, err, tt.want, tt.reasons, tt.wantErr)
		})
	}
}

// TestDeriveUserWins: every value the user sets is kept and has no reason; the others are
// derived around it.
func TestDeriveUserWins(t *testing.T) {
	tests := []struct {
		name, model, gpus string
		user              config.ManagedServer
		want              Settings
		reasons           []string
		wantErr           string
	}{
		{name: "everything set", model: "llama-3-70b", gpus: "8x80",
			user: config.ManagedServer{TensorParallelSize: 8, GPUMemoryUtilization: 0.8, MaxModelLen: 4096, ExtraArgs: []string{"--max-num-seqs", "64"}},
			want: Settings{TensorParallelSize: 8, GPUMemoryUtilization: 0.8, MaxModelLen: 4096, MaxNumSeqs: 64, KVCacheTokens: 1194675}},
		{name: "max_model_len set keeps a long context", model: "llama-3.1-8b", gpus: "1x24",
			user: config.ManagedServer{MaxModelLen: 16384},
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 16384, MaxNumSeqs: 18, KVCacheTokens: 38035},
			reasons: []string{
				"tensor_parallel_size = 1: 15 GiB of bf16 weights with 4.0 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_num_seqs = 18: the KV cache holds 18 sequences of 2048 tokens",
			}},
		{name: "flags in extra_args count as set", model: "qwen2.5-0.5b", gpus: "8x80",
			user: config.ManagedServer{ExtraArgs: []string{"--tensor-parallel-size=2", "--gpu_memory_utilization", "0.5", "--max-model-len=4096", "--max-num-seqs=32"}},
			want: Settings{TensorParallelSize: 2, GPUMemoryUtilization: 0.5, MaxModelLen: 4096, MaxNumSeqs: 32, KVCacheTokens: 6560584}},
		{name: "tensor_parallel_size too small", model: "llama-3-70b", gpus: "8x80",
			user:    config.ManagedServer{TensorParallelSize: 1},
			wantErr: "tensor_parallel_size = 1: 131 GiB of bf16 weights and 10 GiB of KV cache (32768 tokens) do not fit 1 × 80 GiB GPU at 0.90 (70 GiB usable per GPU); raise tensor_parallel_size, or remove it to derive it"},
		{name: "tensor_parallel_size above the GPUs", model: "qwen2.5-0.5b", gpus: "1x24",
			user:    config.ManagedServer{TensorParallelSize: 2},
			wantErr: "tensor_parallel_size = 2 needs 2 GPUs; the gpu block has 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reasons, err := Derive(testModel(t, tt.model), testInventory(tt.gpus), tt.user)
			checkDerived(t, got, reasons, err, tt.want, tt.reasons, tt.wantErr)
		})
	}
}

func checkDerived(t *testing.T, got Settings, reasons []Reason, err error, want Settings, wantReasons []string, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Fatalf("error = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	var gotReasons []string
	for _, r := range reasons {
		gotReasons = append(gotReasons, r.String())
	}
	if diff := cmp.Diff(wantReasons, gotReasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}

func TestEstimateParams(t *testing.T) {
	tests := []struct {
		model string
		want  int64 // published parameter counts, to within 1%
	}{
		{"qwen2.5-0.5b", 494_000_000},
		{"llama-3-8b", 8_030_000_000},
		{"llama-3-70b", 70_550_000_000},
		{"mixtral-8x7b", 46_700_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got := testModel(t, tt.model).EstimateParams()
			if d := float64(got-tt.want) / float64(tt.want); d > 0.01 || d < -0.01 {
				t.Errorf("EstimateParams = %d, want %d ± 1%%", got, tt.want)
			}
		})
	}
}

func TestFindModelConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hub := filepath.Join(dir, "hf", "hub", "models--Org--Name")
	write(filepath.Join(hub, "refs", "main"), "aaa\n")
	write(filepath.Join(hub, "snapshots", "aaa", "config.json"), "{}")
	write(filepath.Join(hub, "snapshots", "bbb", "config.json"), "{}")
	write(filepath.Join(hub, "refs", "v2"), "bbb")
	write(filepath.Join(dir, "local", "m", "config.json"), "{}")
	other := filepath.Join(dir, "hf", "hub", "models--Org--Other")
	write(filepath.Join(other, "snapshots", "ccc", "config.json"), "{}")
	env := map[string]string{"HF_HOME": filepath.Join(dir, "hf")}
	tests := []struct {
		model, revision, want, wantErr string
	}{
		{model: "local/m", want: filepath.Join(dir, "local", "m", "config.json")},
		{model: "Org/Name", want: filepath.Join(hub, "snapshots", "aaa", "config.json")},
		{model: "Org/Name", revision: "v2", want: filepath.Join(hub, "snapshots", "bbb", "config.json")},
		{model: "Org/Name", revision: "bbb", want: filepath.Join(hub, "snapshots", "bbb", "config.json")},
		{model: "Org/Other", want: filepath.Join(other, "snapshots", "ccc", "config.json")},
		{model: "Org/Name", revision: "zzz", wantErr: "no config.json for Org/Name"},
		{model: "Org/Missing", wantErr: "no config.json for Org/Missing"},
	}
	for _, tt := range tests {
		t.Run(tt.model+"@"+tt.revision, func(t *testing.T) {
			got, err := FindModelConfig(tt.model, tt.revision, dir, func(k string) string { return env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeriveQuantized: quantized checkpoints are sized by their bits per weight (embeddings
// and output head at the activation width), and the reasons name the quantization and the
// server block's own setting names.
func TestDeriveQuantized(t *testing.T) {
	tests := []struct {
		name, model, gpus, kind string
		extraArgs               []string
		want                    Settings
		reasons                 []string
		wantErr                 string
	}{
		{name: "awq 70B fits one 80 GiB GPU", model: "llama-3.1-70b-awq", gpus: "8x80", kind: "vllm",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 107520, MaxNumSeqs: 52, KVCacheTokens: 108022, Truncates: true},
			reasons: []string{
				"tensor_parallel_size = 1: 37 GiB of awq 4-bit weights with 10 GiB of KV cache fit one 80 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 80 GiB of 80 GiB free",
				"max_model_len = 107520: the KV cache holds 108022 tokens, fewer than the model's 131072 (truncates the context)",
				"max_num_seqs = 52: the KV cache holds 52 sequences of 2048 tokens",
			}},
		{name: "awq 70B does not fit 24 GiB", model: "llama-3.1-70b-awq", gpus: "1x24", kind: "vllm",
			wantErr: "37 GiB of awq 4-bit weights and 10 GiB of KV cache (32768 tokens) do not fit 1 × 24 GiB GPU at 0.90"},
		{name: "fp8 8B", model: "llama-3.1-8b-fp8", gpus: "1x24", kind: "vllm",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 91136, MaxNumSeqs: 44, KVCacheTokens: 91283, Truncates: true},
			reasons: []string{
				"tensor_parallel_size = 1: 8.5 GiB of fp8 weights with 4.0 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"gpu_memory_utilization = 0.90: vLLM's default; 24 GiB of 24 GiB free",
				"max_model_len = 91136: the KV cache holds 91283 tokens, fewer than the model's 131072 (truncates the context)",
				"max_num_seqs = 44: the KV cache holds 44 sequences of 2048 tokens",
			}},
		{name: "gptq 7B on sglang", model: "qwen2.5-7b-gptq-int4", gpus: "1x24", kind: "sglang",
			want: Settings{TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 32768, MaxNumSeqs: 131, KVCacheTokens: 270311},
			reasons: []string{
				"tp = 1: 5.2 GiB of gptq 4-bit weights with 1.8 GiB of KV cache fit one 24 GiB GPU at 0.90",
				"mem_fraction_static = 0.90: evalplan's default (vLLM's); 24 GiB of 24 GiB free",
				"context_length = 32768: the model's maximum; the KV cache holds 270311 tokens",
				"max_running_requests = 131: the KV cache holds 131 sequences of 2048 tokens",
			}},
		{name: "bf16 70B on sglang needs four GPUs", model: "llama-3-70b", gpus: "8x80", kind: "sglang",
			want: Settings{TensorParallelSize: 4, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 237, KVCacheTokens: 486886},
			reasons: []string{
				"tp = 4: 131 GiB of bf16 weights with 10 GiB of KV cache do not fit 2 × 80 GiB GPUs at 0.90",
				"mem_fraction_static = 0.90: evalplan's default (vLLM's); every GPU has at least 80 GiB of 80 GiB free",
				"context_length = 8192: the model's maximum; the KV cache holds 486886 tokens",
				"max_running_requests = 237: the KV cache holds 237 sequences of 2048 tokens",
			}},
		{name: "nim: settings without a NIM variable are not passed", model: "llama-3-70b", gpus: "8x80", kind: "nim",
			want: Settings{TensorParallelSize: 4, GPUMemoryUtilization: 0.9, MaxModelLen: 8192, MaxNumSeqs: 237, KVCacheTokens: 486886},
			reasons: []string{
				"tensor_parallel_size = 4: 131 GiB of bf16 weights with 10 GiB of KV cache do not fit 2 × 80 GiB GPUs at 0.90",
				"gpu_memory_utilization = 0.90: evalplan's default (vLLM's); every GPU has at least 80 GiB of 80 GiB free; not passed: NIM takes no setting for it, its own default applies",
				"max_model_len = 8192: the model's maximum; the KV cache holds 486886 tokens",
				"max_num_seqs = 237: the KV cache holds 237 sequences of 2048 tokens; not passed: NIM takes no setting for it, its own default applies",
			}},
		{name: "sglang tp too small names tp", model: "llama-3-70b", gpus: "8x80", kind: "sglang", extraArgs: []string{"--tp", "2"},
			wantErr: "tp = 2: 131 GiB of bf16 weights"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := config.ManagedServer{Kind: tt.kind, ExtraArgs: tt.extraArgs}
			s, reasons, err := Derive(testModel(t, tt.model), testInventory(tt.gpus), v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			var got []string
			for _, r := range reasons {
				got = append(got, r.String())
			}
			if diff := cmp.Diff(tt.reasons, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseQuant: each quantization_config form gives its method, width and bits per weight
// with scales and zero points.
func TestParseQuant(t *testing.T) {
	tests := []struct {
		name, config string
		want         string
		bpw          float64
	}{
		{"none", `{}`, "", 0},
		{"awq", `{"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": true}`, "awq 4-bit", 4 + 20.0/128},
		{"gptq symmetric", `{"quant_method": "gptq", "bits": 4, "group_size": 128, "sym": true}`, "gptq 4-bit", 4 + 16.0/128},
		{"gptq 8-bit per channel", `{"quant_method": "gptq", "bits": 8, "group_size": -1}`, "gptq 8-bit", 8},
		{"fp8", `{"quant_method": "fp8", "activation_scheme": "dynamic"}`, "fp8", 8},
		{"compressed-tensors w4a16", `{"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights": {"num_bits": 4, "type": "int", "group_size": 128, "strategy": "group"}}}}`, "compressed-tensors 4-bit", 4 + 16.0/128},
		{"compressed-tensors fp8", `{"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "float", "strategy": "channel"}}}}`, "compressed-tensors fp8", 8},
		{"bitsandbytes nf4", `{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_type": "nf4"}`, "bitsandbytes 4-bit", 4.5},
		{"bitsandbytes nf4 double", `{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_use_double_quant": true}`, "bitsandbytes 4-bit", 4.125},
		{"bitsandbytes int8", `{"quant_method": "bitsandbytes", "load_in_8bit": true}`, "bitsandbytes 8-bit", 8},
		{"modelopt nvfp4", `{"quant_method": "modelopt", "quant_algo": "NVFP4"}`, "modelopt fp4", 4.5},
		{"unknown method", `{"quant_method": "hqq"}`, "hqq", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := `{"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "quantization_config": ` + tt.config + `}`
			if tt.config == `{}` {
				b = `{"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}`
			}
			m, err := ParseModelConfig([]byte(b))
			if err != nil {
				t.Fatal(err)
			}
			if m.Quant.String() != tt.want || m.Quant.BitsPerWeight() != tt.bpw {
				t.Errorf("got %q at %v bits per weight, want %q at %v", m.Quant.String(), m.Quant.BitsPerWeight(), tt.want, tt.bpw)
			}
		})
	}
}
