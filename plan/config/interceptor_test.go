package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const interceptorBase = `
variable "tok" {
  sensitive = true
}
endpoint "m" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
}
interceptor "think" {
  system_prompt    = "Think step by step."
  remove_reasoning = true
  params_add       = { chat_template_kwargs = { enable_thinking = true } }
  params_remove    = ["seed"]
  params_rename    = { max_tokens = "max_completion_tokens" }
  headers          = { "X-Tenant" = var.tok }
}
interceptor "tag" {
  headers = { "X-Run" = "evalplan" }
}
`

func TestInterceptorsAndEnv(t *testing.T) {
	tests := []struct {
		name     string
		suite    string
		wantInts []string
		wantEnv  map[string]string
		wantHost []string
		wantErr  string // summary of the first error, "" for none
	}{
		{
			name: "suite and benchmark merge",
			suite: `suite "s" {
  endpoints     = [endpoint.m]
  benchmarks    = ["native.gsm8k"]
  interceptors  = [interceptor.think]
  env           = { A = "1", B = var.tok }
  env_from_host = ["HF_TOKEN"]
  benchmark "native.gsm8k" {
    interceptors  = [interceptor.tag, interceptor.think]
    env           = { A = "2" }
    env_from_host = ["NGC_API_KEY", "HF_TOKEN"]
  }
}`,
			wantInts: []string{"think", "tag"},
			wantEnv:  map[string]string{"A": "2", "B": "SECRETSHORT"},
			wantHost: []string{"HF_TOKEN", "NGC_API_KEY"},
		},
		{
			name: "none",
			suite: `suite "s" {
  endpoints  = [endpoint.m]
  benchmarks = ["native.gsm8k"]
}`,
			wantEnv: map[string]string{},
		},
		{
			name: "undeclared interceptor",
			suite: `suite "s" {
  endpoints    = [endpoint.m]
  benchmarks   = ["native.gsm8k"]
  interceptors = [interceptor.nope]
}`,
			wantErr: "Reference to undeclared interceptor",
		},
		{
			name: "quoted interceptor",
			suite: `suite "s" {
  endpoints    = [endpoint.m]
  benchmarks   = ["native.gsm8k"]
  interceptors = ["think"]
}`,
			wantErr: "Invalid reference",
		},
		{
			name: "bad env name",
			suite: `suite "s" {
  endpoints  = [endpoint.m]
  benchmarks = ["native.gsm8k"]
  env        = { "A-B" = "1" }
}`,
			wantErr: "Invalid env",
		},
		{
			name: "bad host name",
			suite: `suite "s" {
  endpoints     = [endpoint.m]
  benchmarks    = ["native.gsm8k"]
  env_from_host = ["1X"]
}`,
			wantErr: "Invalid env_from_host",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"eval.hcl": interceptorBase + tt.suite})
			cfg, diags := Load(dir, LoadOptions{Vars: []VarArg{{Name: "tok", Value: secret}}})
			if tt.wantErr != "" {
				if !diags.HasErrors() || diags.Errs()[0].Error() == "" {
					t.Fatalf("want error %q, got %v", tt.wantErr, diags)
				}
				var got string
				for _, d := range diags {
					if d.Summary == tt.wantErr {
						got = d.Summary
					}
				}
				if got == "" {
					t.Errorf("want error %q, got %v", tt.wantErr, diags)
				}
				render(t, cfg, diags)
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			s := cfg.Suites["s"]
			var names []string
			for _, i := range cfg.RunInterceptors(s, s.Overrides["native.gsm8k"]) {
				names = append(names, i.Name)
			}
			if diff := cmp.Diff(tt.wantInts, names); diff != "" {
				t.Errorf("interceptors (-want +got):\n%s", diff)
			}
			env, host := RunEnv(s, s.Overrides["native.gsm8k"])
			if diff := cmp.Diff(tt.wantEnv, env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantHost, host); diff != "" {
				t.Errorf("env_from_host (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterceptorDecode(t *testing.T) {
	dir := writeDir(t, map[string]string{"eval.hcl": interceptorBase})
	cfg, diags := Load(dir, LoadOptions{Vars: []VarArg{{Name: "tok", Value: secret}}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	think := cfg.Interceptors["think"]
	want := map[string]any{
		"system_prompt":    "Think step by step.",
		"remove_reasoning": true,
		"params_add":       map[string]any{"chat_template_kwargs": map[string]any{"enable_thinking": true}},
		"params_remove":    []string{"seed"},
		"params_rename":    map[string]string{"max_tokens": "max_completion_tokens"},
	}
	if diff := cmp.Diff(want, think.Canonical()); diff != "" {
		t.Errorf("canonical (-want +got):\n%s", diff)
	}
	if think.Headers["X-Tenant"] != secret {
		t.Errorf("headers = %v", think.Headers)
	}
	if got := cfg.Interceptors["tag"].Canonical(); len(got) != 0 {
		t.Errorf("a headers-only interceptor has identity content %v", got)
	}
}

func TestInterceptorSensitiveIdentityField(t *testing.T) {
	src := interceptorBase + `interceptor "leak" {
  system_prompt = var.tok
}
`
	dir := writeDir(t, map[string]string{"eval.hcl": src})
	cfg, diags := Load(dir, LoadOptions{Vars: []VarArg{{Name: "tok", Value: secret}}})
	if !diags.HasErrors() || diags[0].Summary != "Sensitive value in a recorded field" {
		t.Fatalf("want a sensitive-field error, got %v", diags)
	}
	render(t, cfg, diags)
}

func TestHFCache(t *testing.T) {
	tests := []struct {
		name, block string
		want        func(dir string) string
	}{
		{"default", "", func(dir string) string { return filepath.Join(dir, ".evalplan/cache/hf") }},
		{"relative", `evalplan { hf_cache = "hf" }`, func(dir string) string { return filepath.Join(dir, "hf") }},
		{"follows cache_dir", `evalplan { cache_dir = "/tmp/c" }`, func(string) string { return "/tmp/c/hf" }},
		{"off", `evalplan { hf_cache = "" }`, func(string) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"eval.hcl": tt.block + "\nendpoint \"m\" {\n  model = \"m\"\n  url = \"http://h/v1\"\n}\n"})
			cfg, diags := Load(dir, LoadOptions{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got, want := cfg.Settings.HFCache, tt.want(cfg.Dir); got != want {
				t.Errorf("HFCache = %q, want %q", got, want)
			}
		})
	}
}
