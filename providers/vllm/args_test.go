package vllm

import (
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

func TestResultArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"none", []string{"--enable-prefix-caching", "--max-num-seqs", "256", "--tensor-parallel-size=2"}, nil},
		{"values", []string{"--dtype", "bfloat16", "--quantization=fp8", "--seed", "3"}, []string{"--dtype=bfloat16", "--quantization=fp8", "--seed=3"}},
		{"short and underscores", []string{"-q", "awq", "--max_model_len", "4096"}, []string{"--quantization=awq", "--max-model-len=4096"}},
		{"boolean", []string{"--trust-remote-code", "--enable-prefix-caching"}, []string{"--trust-remote-code"}},
		{"mixed with operational", []string{"--gpu-memory-utilization", "0.8", "--chat-template", "t.jinja", "--port", "{port}"}, []string{"--chat-template=t.jinja"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ResultArgs(tt.args)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	vllmEP := &config.Endpoint{Name: "q", Model: "Qwen/Qwen2.5-7B-Instruct", Revision: "abc", Server: &config.ManagedServer{
		Runtime: "process", TensorParallelSize: 2, GPUMemoryUtilization: 0.9, MaxModelLen: 8192,
		ExtraArgs: []string{"--enable-prefix-caching"},
	}}
	custom := &config.Endpoint{Name: "c", Model: "m", Server: &config.ManagedServer{
		Runtime: "process", Command: []string{"server", "--listen=127.0.0.1:{port}"}, ExtraArgs: []string{"--x={port}"},
	}}
	tests := []struct {
		name string
		ep   *config.Endpoint
		want []string
	}{
		{"vllm serve", vllmEP, []string{"vllm", "serve", "Qwen/Qwen2.5-7B-Instruct", "--host", "127.0.0.1", "--port", "8001",
			"--tensor-parallel-size", "2", "--gpu-memory-utilization", "0.9", "--max-model-len", "8192", "--revision", "abc", "--enable-prefix-caching"}},
		{"command", custom, []string{"server", "--listen=127.0.0.1:8001", "--x=8001"}},
		{"defaults", &config.Endpoint{Model: "m", Server: &config.ManagedServer{}}, []string{"vllm", "serve", "m", "--host", "127.0.0.1", "--port", "8001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, command(tt.ep, 8001)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigFingerprint: result-affecting settings change the fingerprint, placement and
// performance ones do not.
func TestConfigFingerprint(t *testing.T) {
	base := func() *config.Endpoint {
		return &config.Endpoint{Name: "q", Model: "m", Type: "chat", Server: &config.ManagedServer{
			Runtime: "docker", Image: "vllm/vllm-openai:v0.11.0", TensorParallelSize: 1, GPUMemoryUtilization: 0.9, MaxModelLen: 8192,
			ExtraArgs: []string{"--dtype", "bfloat16"},
		}}
	}
	p := &Provider{}
	want := plan.Fingerprint{Model: "m", Type: "chat", MaxModelLen: 8192, Image: "vllm/vllm-openai:v0.11.0", ServerArgs: []string{"--dtype=bfloat16"}}
	if diff := cmp.Diff(want, p.ConfigFingerprint(base())); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	same := base()
	same.Server.TensorParallelSize, same.Server.GPUMemoryUtilization = 4, 0.5
	same.Server.ExtraArgs = append(same.Server.ExtraArgs, "--enable-prefix-caching", "--max-num-seqs", "64")
	same.Server.KeepRunning = true
	if diff := cmp.Diff(want, p.ConfigFingerprint(same)); diff != "" {
		t.Errorf("operational changes moved the fingerprint (-want +got):\n%s", diff)
	}
	changed := base()
	changed.Server.ExtraArgs = []string{"--dtype", "float16"}
	changed.Server.MaxModelLen = 4096
	got := p.ConfigFingerprint(changed)
	if cmp.Equal(want, got) {
		t.Error("dtype and max_model_len changes kept the fingerprint")
	}
	proc := base()
	proc.Server.Runtime = "process"
	if got := p.ConfigFingerprint(proc); got.Image != "" {
		t.Errorf("process runtime fingerprint has image %q", got.Image)
	}
}

func TestOnHost(t *testing.T) {
	tests := []struct {
		name string
		args []string
		host string
		want []string
	}{
		{"loopback keeps the derived host", []string{"m", "--host", "127.0.0.1", "--port", "8000"}, "127.0.0.1", []string{"m", "--host", "127.0.0.1", "--port", "8000"}},
		{"all interfaces", []string{"m", "--host", "127.0.0.1", "--port", "8000"}, "0.0.0.0", []string{"m", "--host", "0.0.0.0", "--port", "8000"}},
		{"placeholder", []string{"server", "-addr", "{host}:{port}"}, "0.0.0.0", []string{"server", "-addr", "0.0.0.0:{port}"}},
		{"an address elsewhere is kept", []string{"server", "--upstream", "127.0.0.1"}, "0.0.0.0", []string{"server", "--upstream", "127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, onHost(tt.args, tt.host)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
