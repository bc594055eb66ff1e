package vllm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

// TestKindCommands: each kind builds its own server line from the same settings, and the
// container environment carries its variables (NIM's settings, and NGC_API_KEY only to NIM).
func TestKindCommands(t *testing.T) {
	server := func(kind string) *config.Endpoint {
		return &config.Endpoint{Name: "e", Model: "org/m", Revision: "r1", Server: &config.ManagedServer{
			Kind: kind, Runtime: "docker", TensorParallelSize: 2, GPUMemoryUtilization: 0.85, MaxModelLen: 8192, MaxNumSeqs: 64,
			ExtraArgs: []string{"--seed", "{port}"}, Env: map[string]string{"X": "{port}"},
		}}
	}
	nim := server("nim")
	nim.Server.ExtraArgs, nim.Server.GPUMemoryUtilization, nim.Server.MaxNumSeqs = nil, 0, 0
	host := []string{"HF_TOKEN=hf-secret", "NGC_API_KEY=ngc-secret", "HOME=/home/u", "OTHER=x"}
	tests := []struct {
		name    string
		ep      *config.Endpoint
		command []string // process runtime
		env     []string // docker runtime
	}{
		{"vllm", server("vllm"),
			[]string{"vllm", "serve", "org/m", "--host", "127.0.0.1", "--port", "9000", "--tensor-parallel-size", "2", "--gpu-memory-utilization", "0.85",
				"--max-model-len", "8192", "--max-num-seqs", "64", "--revision", "r1", "--seed", "9000"},
			[]string{"HF_TOKEN=hf-secret", "X=9000", "PORT=9000"}},
		{"sglang", server("sglang"),
			[]string{"python3", "-m", "sglang.launch_server", "--model-path", "org/m", "--host", "127.0.0.1", "--port", "9000", "--enable-metrics",
				"--tp", "2", "--mem-fraction-static", "0.85", "--context-length", "8192", "--max-running-requests", "64", "--revision", "r1", "--seed", "9000"},
			[]string{"HF_TOKEN=hf-secret", "X=9000", "PORT=9000"}},
		{"nim", nim, nil,
			[]string{"HF_TOKEN=hf-secret", "NGC_API_KEY=ngc-secret", "NIM_SERVER_PORT=9000", "NIM_SERVED_MODEL_NAME=org/m", "NIM_CACHE_PATH=/opt/nim/.cache",
				"NIM_TENSOR_PARALLEL_SIZE=2", "NIM_MAX_MODEL_LEN=8192", "X=9000", "PORT=9000"}},
	}
	p := &Provider{Environ: host}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.command != nil {
				if diff := cmp.Diff(tt.command, command(tt.ep, 9000)); diff != "" {
					t.Errorf("command (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.env, p.containerEnv(tt.ep, 9000)); diff != "" {
				t.Errorf("container env (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKindIdentity: the kind (other than vLLM), each kind's result flags and the
// checkpoint's quantization are in the fingerprint; operational settings are not.
func TestKindIdentity(t *testing.T) {
	dir := t.TempDir()
	awq, err := os.ReadFile(filepath.Join("testdata", "models", "llama-3.1-70b-awq.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "models", "awq"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "models", "awq", "config.json"), awq, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ep   config.Endpoint
		want plan.Fingerprint
	}{
		{"vllm keeps its fingerprint", config.Endpoint{Model: "m", Type: "chat", Server: &config.ManagedServer{Kind: "vllm", Runtime: "process",
			TensorParallelSize: 2, ExtraArgs: []string{"--dtype", "half", "--max-num-seqs", "8"}}},
			plan.Fingerprint{Model: "m", Type: "chat", ServerArgs: []string{"--dtype=half"}}},
		{"sglang result flags", config.Endpoint{Model: "m", Type: "chat", Server: &config.ManagedServer{Kind: "sglang", Runtime: "process", MaxModelLen: 4096,
			ExtraArgs: []string{"--tp", "2", "--random-seed", "3", "--quantization", "fp8", "--enable-torch-compile"}}},
			plan.Fingerprint{Model: "m", Type: "chat", MaxModelLen: 4096, Server: "sglang", ServerArgs: []string{"--random-seed=3", "--quantization=fp8"}}},
		{"nim result variables and image", config.Endpoint{Model: "m", Type: "chat", Server: &config.ManagedServer{Kind: "nim", Runtime: "docker", Image: "nvcr.io/nim/x:1",
			Env: map[string]string{"NIM_MODEL_PROFILE": "abc", "NIM_LOG_LEVEL": "DEBUG"}}},
			plan.Fingerprint{Model: "m", Type: "chat", Server: "nim", Image: "nvcr.io/nim/x:1", ServerArgs: []string{"NIM_MODEL_PROFILE=abc"}}},
		{"quantized checkpoint", config.Endpoint{Model: "models/awq", Type: "chat", Server: &config.ManagedServer{Kind: "vllm", Runtime: "process"}},
			plan.Fingerprint{Model: "models/awq", Type: "chat", Quantization: "awq 4-bit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Provider{WorkDir: dir, Environ: []string{"HOME=" + t.TempDir()}}
			if diff := cmp.Diff(tt.want, p.ConfigFingerprint(&tt.ep)); diff != "" {
				t.Errorf("fingerprint (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKindReadiness: each kind is ready only when its own health path answers and
// /v1/models lists the model; a server answering another kind's health path is not ready.
func TestKindReadiness(t *testing.T) {
	serve := func(health string) *httptest.Server {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case health:
				w.Write([]byte("{}"))
			case "/v1/models":
				w.Write([]byte(`{"data":[{"id":"m"}]}`))
			default:
				http.NotFound(w, r)
			}
		}))
		t.Cleanup(ts.Close)
		return ts
	}
	servers := map[string]*httptest.Server{"/health": serve("/health"), "/v1/health/ready": serve("/v1/health/ready")}
	tests := []struct {
		kind, serves string
		ready        bool
	}{
		{"vllm", "/health", true},
		{"vllm", "/v1/health/ready", false},
		{"sglang", "/health", true},
		{"sglang", "/v1/health/ready", false},
		{"nim", "/v1/health/ready", true},
		{"nim", "/health", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" against "+tt.serves, func(t *testing.T) {
			ep := &config.Endpoint{Model: "m", Server: &config.ManagedServer{Kind: tt.kind}}
			err := (&Provider{}).ready(context.Background(), ep, servers[tt.serves].URL+"/v1")
			if got := err == nil; got != tt.ready {
				t.Fatalf("ready = %v (%v), want %v", got, err, tt.ready)
			}
			if !tt.ready && !strings.Contains(err.Error(), "404") {
				t.Errorf("error %v does not say the health path is missing", err)
			}
		})
	}
	wrong := &config.Endpoint{Model: "other", Server: &config.ManagedServer{Kind: "nim"}}
	err := (&Provider{}).ready(context.Background(), wrong, servers["/v1/health/ready"].URL+"/v1")
	if err == nil || !strings.Contains(err.Error(), "NIM_SERVED_MODEL_NAME") {
		t.Errorf("a NIM serving another model: %v; want the NIM hint", err)
	}
}

// TestKindMetricsURL: the limiter reads each kind's metrics where it serves them.
func TestKindMetricsURL(t *testing.T) {
	got := map[string]string{}
	for _, k := range config.ServerKinds() {
		got[k] = (&Provider{}).MetricsURL(&config.Endpoint{Server: &config.ManagedServer{Kind: k}}, "http://127.0.0.1:8000/v1")
	}
	want := map[string]string{"vllm": "http://127.0.0.1:8000/metrics", "sglang": "http://127.0.0.1:8000/metrics", "nim": "http://127.0.0.1:8000/v1/metrics"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
