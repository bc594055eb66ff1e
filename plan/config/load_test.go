package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// writeDir writes files (name → content) into a fresh temporary directory.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// diag is the part of a diagnostic the tests compare. Detail holds a substring the actual
// detail must contain; it is replaced by the full detail when the substring is missing, so
// that cmp.Diff shows it.
type diag struct {
	Severity string
	Pos      string // FILE:LINE:COL, or "" without a subject
	Summary  string
	Detail   string
}

func simplify(diags hcl.Diagnostics, want []diag) []diag {
	out := make([]diag, 0, len(diags))
	for i, d := range diags {
		s := diag{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			s.Severity = "warning"
		}
		if d.Subject != nil {
			s.Pos = rangeString(*d.Subject)
		}
		if i < len(want) && strings.Contains(d.Detail, want[i].Detail) {
			s.Detail = want[i].Detail
		}
		out = append(out, s)
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []diag
	}{
		{"syntax.hcl", []diag{
			{"error", "eval.hcl:4:11", "Invalid expression", "Expected the start of an expression"},
		}},
		{"unknown_block.hcl", []diag{
			{"error", "eval.hcl:1:1", "Unsupported block type", `Did you mean "endpoint"?`},
		}},
		{"unknown_attribute.hcl", []diag{
			{"error", "eval.hcl:1:14", "Missing required argument", `The argument "model" is required, but no definition was found. Add it to this block.`},
			{"error", "eval.hcl:2:3", "Unsupported argument", `Did you mean "model"?`},
		}},
		{"missing_required.hcl", []diag{
			{"error", "eval.hcl:1:14", "Missing required argument", `"model" is required`},
		}},
		{"wrong_type.hcl", []diag{
			{"error", "eval.hcl:10:19", "Incorrect attribute value type", "a number is required. Give a value of type number."},
		}},
		{"undeclared_reference.hcl", []diag{
			{"error", "eval.hcl:6:11", "Reference to undeclared input variable", `Did you mean "model"? Declare it with a variable "modle" block`},
			{"error", "eval.hcl:11:17", "Reference to undeclared endpoint", `There is no endpoint named "rf". Did you mean "ref"?`},
			{"error", "eval.hcl:12:33", "Reference to undeclared task", `Declare it with a task "nope" block`},
			{"error", "eval.hcl:16:19", "Reference to undeclared suite", `There is no suite named "q".`},
		}},
		{"duplicate_name.hcl", []diag{
			{"error", "eval.hcl:6:1", "Duplicate endpoint block", `An endpoint named "a" was already declared at eval.hcl:1:1`},
		}},
		{"local_cycle.hcl", []diag{
			{"error", "eval.hcl:2:7", "Cycle in local values", "local.a → local.b → local.c → local.a: each of these locals refers to the next"},
		}},
		{"unknown_benchmark.hcl", []diag{
			{"error", "eval.hcl:8:17", "Invalid benchmark name", `unknown benchmark "simple_evals.mmlu_pr". Did you mean "simple_evals.mmlu_pro"?`},
			{"error", "eval.hcl:8:41", "Invalid benchmark name", "could be lm_eval.gsm8k or native.gsm8k; write the qualified name"},
			{"error", "eval.hcl:8:66", "Duplicate benchmark", `"native.gsm8k" is already listed at eval.hcl:8:50`},
			{"error", "eval.hcl:9:16", "Unknown preset", `There is no suite preset named "quik".`},
		}},
		{"malformed_url.hcl", []diag{
			{"error", "eval.hcl:3:11", "Invalid endpoint url", "ending in /v1"},
			{"error", "eval.hcl:8:11", "Invalid endpoint url", "must be an http:// or https:// URL with a host"},
			{"error", "eval.hcl:11:1", "Missing endpoint url", "or add a vllm {}, sglang {} or nim {} block"},
		}},
		{"limit_samples.hcl", []diag{
			{"error", "eval.hcl:9:28", "Invalid limit_samples", "limit_samples must be a whole number ≥ 1 or a fraction between 0 and 1"},
			{"error", "eval.hcl:15:28", "Invalid limit_samples", "got -5"},
			{"error", "eval.hcl:21:28", "Invalid limit_samples", "got 1.5"},
		}},
		{"bad_regex.hcl", []diag{
			{"error", "eval.hcl:9:13", "Invalid extract regular expression", "extract must be a Go regular expression"},
		}},
		{"record_outside_task.hcl", []diag{
			{"error", "eval.hcl:7:19", "Invalid reference to record", "only in a task's prompt, target and choices"},
			{"error", "eval.hcl:8:44", "Reference to undeclared local value", "Define it in a locals block"},
			{"error", "eval.hcl:10:19", "Missing choices", "add choices = [...]"},
		}},
		{"suite_attribute.hcl", []diag{
			{"error", "eval.hcl:10:13", "Benchmark block for an unlisted benchmark", `Did you mean "native.gsm8k"?`},
			{"error", "eval.hcl:11:13", "Invalid image", "repo@sha256:<64 hex digits>"},
			{"error", "eval.hcl:16:19", "Unsupported suite attribute", `Did you mean "result"?`},
		}},
		{"required_variable.hcl", []diag{
			{"error", "eval.hcl:1:1", "No value for required variable", "-var 'model=VALUE' on the command line, in a *.auto.evalvars.hcl file or a -var-file, or with the environment variable EVALPLAN_VAR_model"},
		}},
		{"misspelled_override.hcl", []diag{
			{"error", "eval.hcl:8:17", "Invalid benchmark name", `unknown benchmark "native.gsm8". Did you mean "native.gsm8k"?`},
		}},
		{"dataset_source.hcl", []diag{
			{"error", "eval.hcl:2:12", "Invalid dataset source", "The scheme ftp:// is not supported. A dataset source is a path or glob relative to the configuration directory"},
			{"error", "eval.hcl:6:12", "Invalid dataset source", "An https:// source needs a host"},
			{"error", "eval.hcl:10:12", "Invalid dataset source", "An hf:// source names the organisation, the dataset and a file in it"},
			{"error", "eval.hcl:14:12", "Invalid dataset source", "A file:// URL takes an absolute path after three slashes"},
		}},
		{"reference_as_string.hcl", []diag{
			{"error", "eval.hcl:7:17", "Invalid reference", "A quoted string is not a reference: remove the quotes."},
			{"error", "eval.hcl:11:10", "Unknown exporter type", `Did you mean "mlflow"?`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"eval.hcl": readTestdata(t, "errors/"+tt.file)})
			cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}})
			if cfg == nil {
				t.Fatal("Load returned a nil Config")
			}
			if diff := cmp.Diff(tt.want, simplify(diags, tt.want)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteDiagnostics(t *testing.T) {
	dir := writeDir(t, map[string]string{"eval.hcl": readTestdata(t, "errors/unknown_block.hcl")})
	cfg, diags := Load(dir, LoadOptions{})
	diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "No source", Detail: "Detail text."})
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, cfg.HCLFiles(), diags, 0, false); err != nil {
		t.Fatal(err)
	}
	want := `Error: eval.hcl:1:1: Unsupported block type

  on eval.hcl line 1, in endpont "a":
   1: endpont "a" {

Blocks of type "endpont" are not expected here. Did you mean "endpoint"?

Warning: No source

Detail text.

`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestSensitiveValuesNeverInDiagnostics(t *testing.T) {
	src := `
variable "token" {
  type      = string
  sensitive = true
}
locals {
  key = "sk-plain-secret"
}
endpoint "a" {
  model   = "m"
  url     = "http://127.0.0.1:8000/v1"
  api_key = local.key + 1
  headers = { Authorization = "Bearer ${var.token}", X = local.key * 2 }
}
`
	dir := writeDir(t, map[string]string{"eval.hcl": src})
	cfg, diags := Load(dir, LoadOptions{Environ: []string{"EVALPLAN_VAR_token=tok-secret"}})
	if !diags.HasErrors() {
		t.Fatal("want errors for the bad api_key and headers")
	}
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, cfg.HCLFiles(), diags, 0, false); err != nil {
		t.Fatal(err)
	}
	// The source snippet shows the literal as written; the values must not appear beyond it.
	out := strings.ReplaceAll(buf.String(), `key = "sk-plain-secret"`, "")
	for _, secret := range []string{"sk-plain-secret", "tok-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("diagnostics show %q:\n%s", secret, buf.String())
		}
	}
	if v := cfg.Variables["token"].Value; !v.HasMark(Sensitive) {
		t.Errorf("var.token is not marked sensitive: %#v", v)
	}
	tok, _ := cfg.Eval.Variables["var"].GetAttr("token").Unmark()
	if got := tok.AsString(); got != "tok-secret" {
		t.Errorf("var.token = %q", got)
	}
	if !cfg.Eval.Variables["var"].GetAttr("token").HasMark(Sensitive) {
		t.Error("var.token in the eval context is not marked sensitive")
	}
}

func TestDiagnosticsSortedAndComplete(t *testing.T) {
	// Problems in several blocks are all reported in one run.
	src := readTestdata(t, "errors/malformed_url.hcl") + readTestdata(t, "errors/bad_regex.hcl")
	dir := writeDir(t, map[string]string{"eval.hcl": src, "a.hcl": "endpoint \"z\" {\n  model = 1\n  nope = 2\n}\n"})
	_, diags := Load(dir, LoadOptions{})
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s %s", rangeString(*d.Subject), d.Summary))
	}
	want := []string{
		"a.hcl:1:1 Missing endpoint url",
		"a.hcl:3:3 Unsupported argument",
		"eval.hcl:3:11 Invalid endpoint url",
		"eval.hcl:8:11 Invalid endpoint url",
		"eval.hcl:11:1 Missing endpoint url",
		"eval.hcl:22:13 Invalid extract regular expression",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLoadPathologicalNesting: 200,000 nested parentheses are a diagnostic, not a stack
// overflow of the parser.
func TestLoadPathologicalNesting(t *testing.T) {
	deep := "locals {\n  x = " + strings.Repeat("(", 200000) + "1" + strings.Repeat(")", 200000) + "\n}\n"
	dir := writeDir(t, map[string]string{"eval.hcl": deep})
	_, diags := Load(dir, LoadOptions{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Nesting too deep") {
		t.Fatalf("diagnostics %v, want Nesting too deep", diags)
	}
}
