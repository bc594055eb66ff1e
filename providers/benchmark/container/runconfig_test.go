package container

import (
	"context"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

const digest = "sha256:9a7c36ea625eb330b69b8993617eb9a291ab9dc6b0391c44095f61e7151bf362"

func TestBuildRunConfig(t *testing.T) {
	spec := &plan.RunSpec{
		Address: `suite.q.run["simple_evals.gpqa_diamond"]["local"]`, Identity: "abc",
		Task:     &schema.Task{Name: "simple_evals.gpqa_diamond", Task: "gpqa_diamond"},
		Endpoint: &config.Endpoint{Name: "local", Model: "m", Type: "chat", URL: "http://127.0.0.1:8000/v1/", APIKey: "secret-key"},
		Params: config.Params{
			LimitSamples: ptr(10.0), Temperature: ptr(0.0), TopP: ptr(1e-05), MaxNewTokens: ptr(512),
			Parallelism: ptr(4), RequestTimeout: ptr(30.5), Extra: map[string]any{"num_fewshot": 5.0},
			Sample: ptr("first"), Timeout: ptr(600.0),
		},
	}
	rc, err := BuildRunConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `config:
    type: gpqa_diamond
    output_dir: /results
    params:
        limit_samples: 10
        max_new_tokens: 512
        parallelism: 4
        request_timeout: 31
        temperature: 0
        top_p: 1e-05
        extra:
            num_fewshot: 5
target:
    api_endpoint:
        url: http://127.0.0.1:8000/v1/chat/completions
        model_id: m
        type: chat
        api_key_name: EVALPLAN_API_KEY
metadata:
    evalplan:
        address: suite.q.run["simple_evals.gpqa_diamond"]["local"]
        identity: abc
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("run config (-want +got):\n%s", diff)
	}
	if strings.Contains(string(b), "secret-key") {
		t.Error("the API key is in the run config")
	}
}

func TestLoopback(t *testing.T) {
	for url, want := range map[string]bool{
		"http://127.0.0.1:8000/v1": true, "http://localhost:8000/v1": true, "http://[::1]:8/v1": true,
		"http://0.0.0.0:8/v1": true, "https://api.example.com/v1": false, "http://10.0.0.5:8000/v1": false,
	} {
		if got := loopback(&config.Endpoint{URL: url}); got != want {
			t.Errorf("loopback(%s) = %v, want %v", url, got, want)
		}
	}
}

func TestImage(t *testing.T) {
	task := &schema.Task{Name: "simple_evals.gpqa_diamond", Task: "gpqa_diamond", Image: "nvcr.io/nvidia/eval-factory/simple-evals", Tag: "26.03", Digest: digest}
	override := "127.0.0.1:5001/x/fake@sha256:" + strings.Repeat("b", 64)
	cfg := func(mirror string) *config.Config {
		return &config.Config{
			Settings: config.Settings{ImageMirror: mirror},
			Suites: map[string]*config.Suite{"q": {Name: "q", Overrides: map[string]*config.Override{
				"gpqa_diamond": {Name: "gpqa_diamond", Image: override},
			}}},
		}
	}
	tests := []struct {
		name      string
		cfg       *config.Config
		benchmark string
		want      container.Image
	}{
		{"catalog", nil, "simple_evals.gpqa_diamond", container.Image{Repo: task.Image, Tag: "26.03", Digest: digest}},
		{"mirror", cfg("127.0.0.1:5001/eval-factory/"), "simple_evals.gpqa_diamond", container.Image{Repo: "127.0.0.1:5001/eval-factory/simple-evals", Tag: "26.03", Digest: digest}},
		{"override", cfg("127.0.0.1:5001/eval-factory"), "gpqa_diamond", container.Image{Repo: "127.0.0.1:5001/x/fake", Digest: "sha256:" + strings.Repeat("b", 64)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Image(tt.cfg, &plan.RunSpec{Suite: "q", Benchmark: tt.benchmark, Task: task})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTailWriter(t *testing.T) {
	tw := &tailWriter{max: 2}
	for _, s := range []string{"one\ntw", "o\nthree\n", "four"} {
		if _, err := tw.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := tw.String(), "  three\n  four"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
}

// TestCheckParams: params a container cannot honour are refused at plan time, with why.
func TestCheckParams(t *testing.T) {
	tests := []struct {
		name string
		p    config.Params
		want []string // substrings of the error, none for no error
	}{
		{"none", config.Params{}, nil},
		{"first and whole", config.Params{Sample: ptr("first"), LimitSamples: ptr(20.0)}, nil},
		{"random", config.Params{Sample: ptr("random")}, []string{`sample = "random" is not supported`, "first limit_samples samples"}},
		{"seed", config.Params{Seed: ptr(1)}, []string{"seed is not supported", "takes no seed"}},
		{"fraction", config.Params{LimitSamples: ptr(0.5)}, []string{"limit_samples = 0.5 is a fraction", "whole number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckParams(tt.p)
			_, planErr := (&Runner{}).PlanRun(context.Background(), &plan.RunRequest{Task: &schema.Task{Image: "x"}, Params: tt.p})
			if (err == nil) != (len(tt.want) == 0) || (planErr == nil) != (err == nil) {
				t.Fatalf("CheckParams = %v, PlanRun = %v; want an error containing %q", err, planErr, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestRunConfigTypes: every param is written in the type nemo-evaluator accepts; a
// fractional request_timeout is rounded up to whole seconds.
func TestRunConfigTypes(t *testing.T) {
	tests := []struct {
		timeout float64
		want    string
	}{{1.5, "request_timeout: 2"}, {0.2, "request_timeout: 1"}, {60, "request_timeout: 60"}}
	for _, tt := range tests {
		spec := &plan.RunSpec{
			Task:     &schema.Task{Task: "mmlu"},
			Endpoint: &config.Endpoint{URL: "http://127.0.0.1:8000/v1", Model: "m"},
			Params:   config.Params{RequestTimeout: ptr(tt.timeout)},
		}
		rc, err := BuildRunConfig(spec)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := rc.Marshal()
		if !strings.Contains(string(b), tt.want+"\n") {
			t.Errorf("request_timeout %g: run config lacks %q:\n%s", tt.timeout, tt.want, b)
		}
	}
}
