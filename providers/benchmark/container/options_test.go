package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

func optionsSpec() *plan.RunSpec {
	return &plan.RunSpec{
		Address: `suite.s.run["simple_evals.AIME_2025"]["m"]`, Suite: "s", Benchmark: "simple_evals.AIME_2025", Identity: "abc",
		Task:     &schema.Task{Name: "simple_evals.AIME_2025", Task: "AIME_2025"},
		Endpoint: &config.Endpoint{Name: "m", Model: "m", Type: "chat", URL: "http://127.0.0.1:8000/v1"},
		Params:   config.Params{Extra: map[string]any{"n_samples": 2.0, "judge": map[string]any{"max_tokens": 64.0}}},
	}
}

func TestRunConfigOptions(t *testing.T) {
	judge := &config.Endpoint{Name: "j", Model: "judge-model", URL: "https://judge.example/v1/", APIKey: "judge-secret"}
	think := &config.Interceptor{Name: "think", SystemPrompt: "Think.", RemoveReasoning: true,
		ParamsAdd: map[string]any{"top_k": 1.0}, ParamsRemove: []string{"seed"}, ParamsRename: map[string]string{"max_tokens": "max_completion_tokens"}}
	second := &config.Interceptor{Name: "more", SystemPrompt: "Be brief.", Headers: map[string]string{"X-Tenant": "tenant-secret"}}
	tests := []struct {
		name    string
		edit    func(*plan.RunSpec)
		extra   map[string]any
		adapter map[string]any
	}{
		{"none", func(*plan.RunSpec) {}, map[string]any{"n_samples": 2.0, "judge": map[string]any{"max_tokens": 64.0}}, nil},
		{"judge", func(s *plan.RunSpec) { s.Judge = judge }, map[string]any{"n_samples": 2.0, "judge": map[string]any{
			"url": "https://judge.example/v1/chat/completions", "model_id": "judge-model", "api_key": JudgeKeyVar, "max_tokens": 64.0}}, nil},
		{"interceptors", func(s *plan.RunSpec) { s.Interceptors = []*config.Interceptor{think, second} },
			map[string]any{"n_samples": 2.0, "judge": map[string]any{"max_tokens": 64.0}},
			map[string]any{
				"use_system_prompt": true, "custom_system_prompt": "Think.\nBe brief.",
				"process_reasoning_traces": true, "end_reasoning_token": "</think>",
				"params_to_add": map[string]any{"top_k": 1.0}, "params_to_remove": []string{"seed"},
				"params_to_rename": map[string]string{"max_tokens": "max_completion_tokens"},
				"headers_to_add":   map[string]string{"X-Tenant": "tenant-secret"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := optionsSpec()
			tt.edit(spec)
			rc, err := BuildRunConfig(spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.extra, rc.Config.Params.Extra); diff != "" {
				t.Errorf("config.params.extra (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.adapter, rc.Target.APIEndpoint.AdapterConfig); diff != "" {
				t.Errorf("adapter_config (-want +got):\n%s", diff)
			}
			if _, ok := optionsSpec().Params.Extra["judge"].(map[string]any)["url"]; ok {
				t.Error("the spec's extra was modified")
			}
		})
	}
}

// TestPrepareKeepsSecretsOutOfRunDir: interceptor headers and a judge key never reach the
// run directory's run_config.yml; the container gets them from a private file and its
// environment.
func TestPrepareKeepsSecretsOutOfRunDir(t *testing.T) {
	spec := optionsSpec()
	spec.Judge = &config.Endpoint{Name: "j", Model: "jm", URL: "https://judge.example/v1", APIKey: "judge-secret"}
	spec.Interceptors = []*config.Interceptor{{Name: "h", Headers: map[string]string{"X-Tenant": "tenant-secret"}}}
	dir := t.TempDir()
	private, _, err := prepare(dir, spec)
	if private == "" || err != nil {
		t.Fatalf("prepare = %q, %v; want a private config", private, err)
	}
	defer os.Remove(private)
	pub, err := os.ReadFile(filepath.Join(dir, "run_config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := os.ReadFile(private)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"tenant-secret", "judge-secret"} {
		if strings.Contains(string(pub), s) {
			t.Errorf("run_config.yml holds %q:\n%s", s, pub)
		}
	}
	if strings.Contains(string(priv), "judge-secret") || !strings.Contains(string(priv), "tenant-secret") {
		t.Errorf("private config: want the header, never the key:\n%s", priv)
	}
	if !strings.Contains(string(pub), "X-Tenant: '"+config.Redacted+"'") || !strings.Contains(string(pub), "api_key: "+JudgeKeyVar) {
		t.Errorf("run_config.yml:\n%s", pub)
	}
}

func TestRunOptions(t *testing.T) {
	hf := filepath.Join(t.TempDir(), "hf")
	cfg := &config.Config{
		Settings: config.Settings{HFCache: hf},
		Suites: map[string]*config.Suite{"s": {
			Name:         "s",
			ContainerEnv: config.ContainerEnv{Env: map[string]string{"A": "1", "TOKEN": "env-secret"}, FromHost: []string{"HF_TOKEN"}},
			Overrides: map[string]*config.Override{"simple_evals.AIME_2025": {
				ContainerEnv: config.ContainerEnv{Env: map[string]string{"A": "2"}},
			}},
		}},
	}
	spec := optionsSpec()
	spec.Endpoint.APIKey = "model-secret"
	spec.Judge = &config.Endpoint{Name: "j", Model: "jm", URL: "https://judge.example/v1", APIKey: "judge-secret"}
	r := &Runner{Config: cfg}
	o, err := r.runOptions(spec, []string{"HF_TOKEN=hf-secret", "OTHER=x"})
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := []string{"A=2", APIKeyVar + "=model-secret", JudgeKeyVar + "=judge-secret", "HF_HOME=" + HFHome, "HF_TOKEN=hf-secret", "TOKEN=env-secret"}
	if diff := cmp.Diff(wantEnv, o.env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{hf + ":" + HFHome}, o.binds); diff != "" {
		t.Errorf("binds (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(hf); err != nil || !fi.IsDir() {
		t.Errorf("hf_cache not created: %v", err)
	}
	var buf strings.Builder
	w := redact(&buf, spec.Endpoint, o.secrets...)
	_, _ = w.Write([]byte("tokens: hf-secret env-secret judge-secret model-secret\n"))
	if got := buf.String(); strings.Contains(got, "secret") {
		t.Errorf("log shows a secret: %s", got)
	}

	if _, err := r.runOptions(spec, []string{"OTHER=x"}); err == nil || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Errorf("missing host variable: err = %v", err)
	}
	cfg.Suites["s"].Env["HF_HOME"] = "/elsewhere"
	if _, err := r.runOptions(spec, []string{"HF_TOKEN=x"}); err == nil || !strings.Contains(err.Error(), "HF_HOME") {
		t.Errorf("reserved variable: err = %v", err)
	}
}
