package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const secret = "SECRETSHORT"

// render prints diags as the CLI does and fails the test when the secret appears.
func render(t *testing.T, cfg *Config, diags hcl.Diagnostics) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, cfg.HCLFiles(), diags, 0, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), secret) {
		t.Errorf("diagnostics show the sensitive value:\n%s", buf.String())
	}
	return buf.String()
}

func TestSensitiveValidationMessage(t *testing.T) {
	tests := []struct {
		name      string
		sensitive string
		message   string
		want      string
	}{
		{"interpolation", "true", `"tok too short: ${var.tok}"`, "tok too short: (sensitive value)\n\n"},
		{"derived interpolation", "true", `"tok ${upper(var.tok)} is short, ${length(var.tok)} chars"`, "tok (sensitive value) is short, (sensitive value) chars\n\n"},
		{"whole message", "true", `format("tok too short: %s", var.tok)`, "(sensitive value)\n\n"},
		{"no reference", "true", `"tok must be longer than 20 characters."`, "tok must be longer than 20 characters.\n\n"},
		{"not sensitive", "false", `"tok too short: ${var.tok}"`, "tok too short: " + secret + "\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `variable "tok" {
  sensitive = ` + tt.sensitive + `
  validation {
    condition     = length(var.tok) > 20
    error_message = ` + tt.message + `
  }
}
`
			dir := writeDir(t, map[string]string{"eval.hcl": src})
			_, diags := Load(dir, LoadOptions{Vars: []VarArg{{Name: "tok", Value: secret}}})
			want := []diag{{"error", "eval.hcl:1:1", "Invalid value for variable", tt.want}}
			if diff := cmp.Diff(want, simplify(diags, want)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSensitiveNeverPrinted covers the other paths a sensitive value could take into a
// diagnostic: its source snippet, type conversion, function errors and messages that quote
// an attribute's value.
func TestSensitiveNeverPrinted(t *testing.T) {
	decl := `variable "tok" {
  type      = string
  sensitive = true
  validation {
    condition     = length(var.tok) > 20
    error_message = "too short"
  }
}
variable "n" {
  type      = number
  sensitive = true
}
variable "l" {
  type      = list(string)
  sensitive = true
}
`
	tests := []struct {
		name  string
		extra string
		files map[string]string
		opts  LoadOptions
		want  []diag
	}{
		{"validation of a value from a var file", "", map[string]string{"s.evalvars.hcl": "tok = \"" + secret + "\"\n"},
			LoadOptions{Vars: []VarArg{{File: "s.evalvars.hcl"}}}, []diag{
				{"error", "eval.hcl:1:1", "Invalid value for variable", "too short"},
			}},
		{"number from -var", "", nil, LoadOptions{Vars: []VarArg{{Name: "n", Value: secret}}}, []diag{
			{"error", "", "Invalid value for variable", "The value is not a valid number for variable n (from -var n)."},
		}},
		{"list from -var", "", nil, LoadOptions{Vars: []VarArg{{Name: "l", Value: "[" + secret + "]"}}}, []diag{
			{"error", "", "Invalid value for variable", "The value is not a valid value of type list(string) for variable l (from -var l). Write it"},
		}},
		{"number from a var file", "", map[string]string{"s.evalvars.hcl": "n = \"" + secret + "\"\n"},
			LoadOptions{Vars: []VarArg{{File: "s.evalvars.hcl"}}}, []diag{
				{"error", "eval.hcl:9:1", "Invalid value for variable", "is not compatible with its type: a number is required."},
			}},
		{"function error", "locals {\n  x = tonumber(var.tok)\n}\n", nil,
			LoadOptions{Vars: []VarArg{{Name: "tok", Value: secret + "-long-enough-to-pass"}}}, []diag{
				{"error", "eval.hcl:18:16", "Invalid function argument", hiddenDetail},
			}},
		{"message quoting a value", `endpoint "e" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
  vllm {
    start_timeout = var.tok
  }
}
`, nil, LoadOptions{Vars: []VarArg{{Name: "tok", Value: secret + "-long-enough-to-pass"}}}, []diag{
			{"error", "eval.hcl:21:21", "Invalid duration", `"(sensitive value)" is neither`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"eval.hcl": decl + tt.extra}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := writeDir(t, files)
			for i, v := range tt.opts.Vars {
				if v.File != "" {
					tt.opts.Vars[i].File = dir + "/" + v.File
				}
			}
			tt.opts.Vars = append([]VarArg{{Name: "n", Value: "1"}, {Name: "l", Value: "[]"}, {Name: "tok", Value: strings.Repeat("x", 21)}}, tt.opts.Vars...)
			cfg, diags := Load(dir, tt.opts)
			if diff := cmp.Diff(tt.want, simplify(diags, tt.want)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			render(t, cfg, diags)
		})
	}
}

func TestSensitiveIdentityFields(t *testing.T) {
	const detail = " comes from a sensitive value, but identity fields are written to state and plan files. Use a non-sensitive variable."
	tests := []struct {
		name string
		src  string
		want []diag
	}{
		{"endpoint model", `endpoint "e" {
  model = var.s
  url   = "http://127.0.0.1:8000/v1"
}`, []diag{{"error", "eval.hcl:8:11", "Sensitive value in a recorded field", "endpoint.e.model" + detail}}},
		{"endpoint revision, capabilities and type", `endpoint "e" {
  model        = "m"
  url          = "http://127.0.0.1:8000/v1"
  revision     = "r-${var.s}"
  capabilities = [var.s]
  type         = local.derived
}`, []diag{
			{"error", "eval.hcl:10:18", "Sensitive value in a recorded field", "endpoint.e.revision" + detail},
			{"error", "eval.hcl:11:18", "Sensitive value in a recorded field", "endpoint.e.capabilities" + detail},
			{"error", "eval.hcl:12:18", "Sensitive value in a recorded field", "endpoint.e.type" + detail},
		}},
		{"vllm max_model_len", `endpoint "e" {
  model = "m"
  vllm {
    max_model_len = length(var.s)
  }
}`, []diag{{"error", "eval.hcl:10:21", "Sensitive value in a recorded field", "endpoint.e.vllm.max_model_len" + detail}}},
		{"dataset", `dataset "d" {
  source = "data/${var.s}.jsonl"
  sha256 = var.s
}`, []diag{
			{"error", "eval.hcl:8:12", "Sensitive value in a recorded field", "dataset.d.source" + detail},
			{"error", "eval.hcl:9:12", "Sensitive value in a recorded field", "dataset.d.sha256" + detail},
		}},
		{"suite", `endpoint "e" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
}
suite "q" {
  endpoints  = [endpoint.e]
  benchmarks = [var.s]
  params {
    temperature = length(var.s)
    timeout     = var.s
  }
  benchmark "native.gsm8k" {
    image = var.s
    params {
      seed = length(var.s)
    }
  }
}`, []diag{
			{"error", "eval.hcl:13:16", "Sensitive value in a recorded field", "suite.q.benchmarks" + detail},
			{"error", "eval.hcl:15:19", "Sensitive value in a recorded field", "suite.q.params.temperature" + detail},
			{"error", "eval.hcl:16:19", "Sensitive value in a recorded field", "suite.q.params.timeout comes from a sensitive value, but run parameters are written to plan files and to run_config.json in the run directory."},
			{"error", "eval.hcl:19:13", "Sensitive value in a recorded field", `suite.q.benchmark["native.gsm8k"].image` + detail},
			{"error", "eval.hcl:21:14", "Sensitive value in a recorded field", `suite.q.benchmark["native.gsm8k"].params.seed` + detail},
		}},
		{"secrets where they belong", `endpoint "e" {
  model   = "m"
  url     = "http://${var.s}@127.0.0.1:8000/v1"
  api_key = var.s
  headers = { X = var.s }
}`, []diag{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "variable \"s\" {\n  sensitive = true\n}\nlocals {\n  derived = lower(var.s)\n}\n" + tt.src + "\n"
			dir := writeDir(t, map[string]string{"eval.hcl": src})
			cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}, Vars: []VarArg{{Name: "s", Value: secret}}})
			if diff := cmp.Diff(tt.want, simplify(diags, tt.want)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			render(t, cfg, diags)
			if e := cfg.Endpoints["e"]; e != nil && e.Model == secret {
				t.Errorf("endpoint model holds the sensitive value")
			}
		})
	}
}

func TestSensitiveURL(t *testing.T) {
	src := `variable "u" {
  sensitive = true
}
variable "plain" {
  default = "http://127.0.0.1:8000/v1"
}
endpoint "secret" {
  model = "m"
  url   = var.u
}
endpoint "plain" {
  model = "m"
  url   = var.plain
}
`
	dir := writeDir(t, map[string]string{"eval.hcl": src})
	cfg, diags := Load(dir, LoadOptions{Vars: []VarArg{{Name: "u", Value: "https://user:" + secret + "@host.example/v1"}}})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	got := map[string]bool{"secret": cfg.Endpoints["secret"].URLSensitive, "plain": cfg.Endpoints["plain"].URLSensitive}
	if diff := cmp.Diff(map[string]bool{"secret": true, "plain": false}, got); diff != "" {
		t.Errorf("URLSensitive (-want +got):\n%s", diff)
	}

	// A sensitive url that is invalid is reported without its host.
	cfg, diags = Load(dir, LoadOptions{Vars: []VarArg{{Name: "u", Value: "https://" + secret + ".example/api"}}})
	want := []diag{{"error", "eval.hcl:9:11", "Invalid endpoint url", `(e.g. "https://api.example.com/v1")`}}
	if diff := cmp.Diff(want, simplify(diags, want)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	render(t, cfg, diags)
}

func TestDatasetSource(t *testing.T) {
	tests := []struct {
		source string
		ok     bool
	}{
		{"data/qa.jsonl", true},
		{"data/*.jsonl", true},
		{"/abs/qa.jsonl", true},
		{"file:///data/qa.jsonl", true},
		{"FILE:///data/qa.jsonl", true},
		{"file://localhost/data/qa.jsonl", true},
		{"https://example.com/qa.jsonl", true},
		{"http://127.0.0.1:8080/qa.jsonl?x=1", true},
		{"hf://openai/gsm8k/main/test.parquet", true},
		{"hf://openai/gsm8k/main/test.parquet@v1", true},
		{"", false},
		{"   ", false},
		{"ftp://x/y", false},
		{"s3://bucket/key", false},
		{"https:///tmp/x", false},
		{"http://:80/x", false},
		{"file://host/data", false},
		{"file://data/x.jsonl", false},
		{"file://", false},
		{"hf://org/name", false},
		{"hf://org//file", false},
		{"hf://org/name/file@", false},
		{"hf://", false},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			problem := sourceProblem(tt.source)
			if (problem == "") != tt.ok {
				t.Errorf("sourceProblem(%q) = %q, want ok=%v", tt.source, problem, tt.ok)
			}
		})
	}
}
