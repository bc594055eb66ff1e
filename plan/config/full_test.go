package config

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func ptr[T any](v T) *T { return &v }

// configCmp compares Configs, ignoring source ranges, expressions and the evaluation context.
func configCmp() cmp.Options {
	return cmp.Options{
		cmpopts.IgnoreUnexported(Config{}),
		cmpopts.IgnoreTypes(hcl.Range{}),
		cmpopts.IgnoreInterfaces(struct{ hcl.Expression }{}),
		cmpopts.IgnoreFields(Config{}, "Eval", "Files"),
		cmpopts.IgnoreFields(Task{}, "Canonical"),
		cmpopts.EquateEmpty(),
		cmp.Comparer(cty.Value.RawEquals),
	}
}

func TestFullConfig(t *testing.T) {
	dir, err := filepath.Abs("testdata/full")
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, LoadOptions{Environ: []string{"OPENAI_API_KEY=sk-test"}, Catalog: fakeCatalog{}})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	want := &Config{
		Dir: dir,
		Settings: Settings{
			State:       filepath.Join(dir, "evalplan.state.json"),
			OutputDir:   filepath.Join(dir, "output"),
			CacheDir:    filepath.Join(dir, ".evalplan/cache"),
			Parallelism: 4,
			HFCache:     filepath.Join(dir, ".evalplan/cache/hf"),
		},
		Variables: map[string]*Variable{
			"model": {Name: "model", Value: cty.StringVal("Qwen/Qwen2.5-7B-Instruct")},
		},
		GPUs: map[string]*GPU{"node": {Name: "node", MinFreeMiB: 20000}},
		Endpoints: map[string]*Endpoint{
			"qwen": {Name: "qwen", Model: "Qwen/Qwen2.5-7B-Instruct", Type: "chat", Server: &ManagedServer{Kind: "vllm",
				GPU: "node", Runtime: "docker", Image: "vllm/vllm-openai:v0.11.0", TensorParallelSize: 1,
				GPUMemoryUtilization: 0.9, MaxModelLen: 8192, ExtraArgs: []string{"--enable-prefix-caching"},
			}},
			"ref": {Name: "ref", Model: "gpt-4o-mini", Type: "chat", URL: "https://api.example.com/v1",
				APIKey: "sk-test", Revision: "2024-07-18", Capabilities: []string{}},
		},
		Datasets: map[string]*Dataset{
			"mine": {Name: "mine", Source: "data/qa.jsonl"},
			"gsm8k_mirror": {Name: "gsm8k_mirror", Source: "file:///data/gsm8k/test.jsonl",
				SHA256: "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"},
		},
		Tasks: map[string]*Task{
			"my_qa": {Name: "my_qa", Dataset: "mine", SystemPrompt: "Answer with one word.", Metric: "exact_match"},
		},
		Suites: map[string]*Suite{
			"quick": {
				Name:      "quick",
				Endpoints: []string{"qwen", "ref"},
				Preset:    "quick",
				Benchmarks: []BenchmarkRef{
					{Name: "simple_evals.mmlu_pro", Canonical: "simple_evals.mmlu_pro"},
					{Name: "native.gsm8k", Canonical: "native.gsm8k"},
					{Name: "task.my_qa", Canonical: "task.my_qa"},
				},
				Params: Params{
					LimitSamples: ptr(200.0), Temperature: ptr(0.0), MaxNewTokens: ptr(2048),
					Parallelism: ptr(64), RequestTimeout: ptr(300.0),
				},
				Overrides: map[string]*Override{
					"native.gsm8k": {Name: "native.gsm8k", Params: Params{LimitSamples: ptr(500.0)}, Dataset: "gsm8k_mirror"},
				},
			},
		},
		Exporters: map[string]*Exporter{
			"mlflow.team": {Type: "mlflow", Name: "team", Suites: []string{"quick"},
				Attrs: map[string]cty.Value{
					"tracking_uri": cty.StringVal("http://127.0.0.1:5000"),
					"experiment":   cty.StringVal("llm-evaluation"),
				},
				Server: map[string]cty.Value{"managed": cty.True, "keep_running": cty.True},
			},
			"local.files": {Type: "local", Name: "files", Suites: []string{"quick"}, Attrs: map[string]cty.Value{}},
		},
		Checks:  map[string]*Check{"gsm8k_floor": {Name: "gsm8k_floor"}},
		Outputs: map[string]*Output{"scores": {Name: "scores"}},
	}
	if diff := cmp.Diff(want, cfg, configCmp()); diff != "" {
		t.Errorf("Config (-want +got):\n%s", diff)
	}
	task := cfg.Tasks["my_qa"]
	if task.Prompt == nil || task.Target == nil || task.Choices != nil {
		t.Errorf("task expressions: prompt %v, target %v, choices %v", task.Prompt, task.Target, task.Choices)
	}
	wantCanonical := `task "my_qa" {
  dataset       = dataset.mine
  system_prompt = "Answer with one word."
  prompt        = "Question: ${record.question}"
  target        = record.answer
  metric        = "exact_match"
}`
	if diff := cmp.Diff(wantCanonical, task.Canonical); diff != "" {
		t.Errorf("Canonical (-want +got):\n%s", diff)
	}
	if _, ok := cfg.Files["eval.hcl"]; !ok {
		t.Errorf("Files = %v, want eval.hcl", names(cfg.Files))
	}
	if cfg.Checks["gsm8k_floor"].Condition == nil || cfg.Outputs["scores"].Value == nil {
		t.Error("check and output expressions not kept")
	}
}

func TestTaskPerRecordEvaluation(t *testing.T) {
	dir, err := filepath.Abs("testdata/full")
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := cfg.EvalContext(map[string]cty.Value{"record": cty.ObjectVal(map[string]cty.Value{
		"question": cty.StringVal("2+2?"), "answer": cty.StringVal("4"),
	})})
	v, diags := cfg.Tasks["my_qa"].Prompt.Value(ctx)
	if diags.HasErrors() || v.AsString() != "Question: 2+2?" {
		t.Errorf("prompt = %#v, %v", v, diags)
	}
}

func TestCanonicalIgnoresFormatting(t *testing.T) {
	a := "task \"t\" {\n  # the question\n  prompt = \"Q:  ${record.q}\" // spaces kept inside strings\n\n\n  target=record.a\n  choices = [\n    \"x\",\n    \"y\"]\n  system_prompt = <<EOT\nline one\n\nline three\nEOT\n}"
	b := "task \"t\" {\n  prompt     =    \"Q:  ${record.q}\"\n  target = record.a\n  /* inline */ choices = [\n\"x\",\n\"y\"]\n  system_prompt = <<EOT\nline one\n\nline three\nEOT\n}"
	if diff := cmp.Diff(canonicalText([]byte(a)), canonicalText([]byte(b))); diff != "" {
		t.Errorf("canonical forms differ (-a +b):\n%s", diff)
	}
	c := "task \"t\" {\n  prompt = \"Q: ${record.q}\"\n  target = record.a\n}"
	if canonicalText([]byte(a)) == canonicalText([]byte(c)) {
		t.Error("a change inside a string did not change the canonical form")
	}
}

func TestValuesFromVariablesAndLocals(t *testing.T) {
	src := `
variable "extra_benchmarks" {
  type    = list(string)
  default = ["lm_eval.hellaswag"]
}
variable "timeout" { default = "2h" }
locals {
  base  = "http://127.0.0.1:8000"
  names = concat(["mmlu_pro"], var.extra_benchmarks)
}
endpoint "a" {
  model        = upper("m")
  url          = "${local.base}/v1/"
  capabilities = ["vision", "logprobs", "vision"]
  headers      = { X-Token = env("TOKEN") }
}
gpu "g" { devices = [0, 1] }
dataset "d" { source = "d.jsonl" }
task "t" {
  dataset  = dataset.d
  prompt   = record.q
  target   = record.a
  metric   = "choice"
  choices  = record.options
  normalize = ["strip", "lower", "lower"]
  few_shot = 3
  few_shot_dataset = dataset.d
}
suite "s" {
  endpoints  = [endpoint.a]
  benchmarks = concat(local.names, [task.t])
  params {
    timeout       = var.timeout
    limit_samples = 0.25
    top_p         = 1
    sample        = "first"
    extra         = { n = 2, tags = ["a"] }
  }
  benchmark "lm_eval.hellaswag" {
    judge = endpoint.a
    image = "nvcr.io/nvidia/eval-factory/lm-eval@sha256:${sha256("x")}"
  }
}
`
	dir := writeDir(t, map[string]string{"eval.hcl": src})
	cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}, Environ: []string{"TOKEN=t0k"}})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	e := cfg.Endpoints["a"]
	if diff := cmp.Diff(&Endpoint{Name: "a", Model: "M", Type: "chat", URL: "http://127.0.0.1:8000/v1",
		Headers: map[string]string{"X-Token": "t0k"}, Capabilities: []string{"logprobs", "vision"}}, e, configCmp()); diff != "" {
		t.Errorf("endpoint (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 1}, cfg.GPUs["g"].Devices); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	wantTask := &Task{Name: "t", Dataset: "d", Metric: "choice", Normalize: []string{"lower", "strip"}, FewShot: 3, FewShotDataset: "d"}
	if diff := cmp.Diff(wantTask, cfg.Tasks["t"], configCmp()); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	s := cfg.Suites["s"]
	wantRefs := []BenchmarkRef{
		{Name: "mmlu_pro", Canonical: "simple_evals.mmlu_pro"},
		{Name: "lm_eval.hellaswag", Canonical: "lm_eval.hellaswag"},
		{Name: "task.t", Canonical: "task.t"},
	}
	if diff := cmp.Diff(wantRefs, s.Benchmarks, configCmp()); diff != "" {
		t.Errorf("benchmarks (-want +got):\n%s", diff)
	}
	wantParams := Params{
		Timeout: ptr((2 * time.Hour).Seconds()), LimitSamples: ptr(0.25), TopP: ptr(1.0), Sample: ptr("first"),
		Extra: map[string]any{"n": 2.0, "tags": []any{"a"}},
	}
	if diff := cmp.Diff(wantParams, s.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	o := s.Overrides["lm_eval.hellaswag"]
	if o == nil || o.Judge != "a" || o.Image == "" {
		t.Errorf("override = %+v", o)
	}
}
