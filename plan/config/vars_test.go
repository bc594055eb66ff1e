package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestVariablePrecedence(t *testing.T) {
	// Each variable is last set by a different source:
	// default < EVALPLAN_VAR_name < *.auto.evalvars.hcl (name order) < -var/-var-file in order.
	files := map[string]string{
		"eval.hcl": `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "f" { default = "default" }
variable "n" {
  type    = number
  default = 1
}
variable "l" {
  type    = list(string)
  default = []
}
`,
		"1.auto.evalvars.hcl": "c = \"auto1\"\nd = \"auto1\"\ne = \"auto1\"\nf = \"auto1\"\n",
		"2.auto.evalvars.hcl": "c = \"auto2\"\n",
		"manual.evalvars.hcl": "d = \"never loaded\"\n",
		"x.evalvars.hcl":      "e = \"file\"\nf = \"file\"\nundeclared = 1\n",
	}
	dir := writeDir(t, files)
	cfg, diags := Load(dir, LoadOptions{
		Environ: []string{"EVALPLAN_VAR_b=env", "EVALPLAN_VAR_c=env", "EVALPLAN_VAR_d=env", "EVALPLAN_VAR_e=env", "EVALPLAN_VAR_n=7"},
		Vars: []VarArg{
			{Name: "e", Value: "cli"},
			{File: dir + "/x.evalvars.hcl"},
			{Name: "f", Value: "cli"},
			{Name: "l", Value: `["x", "y"]`},
		},
	})
	want := []diag{{"warning", "x.evalvars.hcl:3:1", "Value for undeclared variable", `declares no variable of that name`}}
	if diff := cmp.Diff(want, simplify(diags, want)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	got := map[string]cty.Value{}
	for n, v := range cfg.Variables {
		got[n] = v.Value
	}
	wantVals := map[string]cty.Value{
		"a": cty.StringVal("default"),
		"b": cty.StringVal("env"),
		"c": cty.StringVal("auto2"),
		"d": cty.StringVal("auto1"),
		"e": cty.StringVal("file"), // -var e=cli came before -var-file
		"f": cty.StringVal("cli"),
		"n": cty.NumberIntVal(7),
		"l": cty.ListVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}),
	}
	if diff := cmp.Diff(wantVals, got, cmp.Comparer(cty.Value.RawEquals)); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	for _, f := range []string{"eval.hcl", "1.auto.evalvars.hcl", "2.auto.evalvars.hcl", "x.evalvars.hcl"} {
		if _, ok := cfg.Files[f]; !ok {
			t.Errorf("Files lacks %s; has %v", f, names(cfg.Files))
		}
	}
	if _, ok := cfg.Files["manual.evalvars.hcl"]; ok {
		t.Error("manual.evalvars.hcl was loaded without -var-file")
	}
}

func TestVariableErrors(t *testing.T) {
	src := `
variable "n" {
  type    = number
  default = 1
}
variable "b" {
  type    = bool
  default = false
}
variable "l" {
  type    = list(string)
  default = []
}
variable "size" {
  type    = string
  default = "small"
  validation {
    condition     = contains(["small", "large"], var.size)
    error_message = "size must be small or large."
  }
}
`
	tests := []struct {
		name string
		opts LoadOptions
		want []diag
	}{
		{"undeclared -var", LoadOptions{Vars: []VarArg{{Name: "sise", Value: "x"}}}, []diag{
			{"error", "", "Value for undeclared variable", `Did you mean "size"? Declare it with a variable "sise" block, or remove the -var argument.`},
		}},
		{"wrong type", LoadOptions{Vars: []VarArg{{Name: "n", Value: `"abc"`}}}, []diag{
			{"error", "", "Invalid value for variable", `'"abc"' is not a valid number for variable n (from -var n). Give a number such as 42 or 0.5. Only variables of type string take their value as plain text without quotes; var.n has type number.`},
		}},
		{"not a number", LoadOptions{Vars: []VarArg{{Name: "n", Value: "abc"}}}, []diag{
			{"error", "", "Invalid value for variable", `"abc" is not a valid number for variable n (from -var n). Give a number such as 42 or 0.5. Only variables of type string take their value as plain text without quotes`},
		}},
		{"not a number from the environment", LoadOptions{Environ: []string{"EVALPLAN_VAR_n=1x"}}, []diag{
			{"error", "", "Invalid value for variable", `"1x" is not a valid number for variable n (from environment variable EVALPLAN_VAR_n).`},
		}},
		{"not a bool", LoadOptions{Vars: []VarArg{{Name: "b", Value: "yes"}}}, []diag{
			{"error", "", "Invalid value for variable", `"yes" is not a valid bool for variable b (from -var b). Give true or false.`},
		}},
		{"unquoted list", LoadOptions{Vars: []VarArg{{Name: "l", Value: "[a, b]"}}}, []diag{
			{"error", "", "Invalid value for variable", `"[a, b]" is not a valid value of type list(string) for variable l (from -var l): Variables not allowed: Variables may not be used here. Write it as an HCL literal of that type, e.g. ["a", "b"]; strings inside it need quotes. Only variables of type string take their value as plain text without quotes; var.l has type list(string).`},
		}},
		{"number expression", LoadOptions{Vars: []VarArg{{Name: "n", Value: " 42 "}, {Name: "b", Value: "true"}, {Name: "l", Value: `["a"]`}}}, []diag{}},
		{"validation", LoadOptions{Environ: []string{"EVALPLAN_VAR_size=medium"}}, []diag{
			{"error", "eval.hcl:14:1", "Invalid value for variable", "size must be small or large.\n\nThis was checked by the validation rule at eval.hcl:18:5 (var.size)."},
		}},
		{"valid", LoadOptions{Vars: []VarArg{{Name: "size", Value: "large"}, {Name: "n", Value: "2.5"}}}, []diag{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"eval.hcl": src})
			_, diags := Load(dir, tt.opts)
			if diff := cmp.Diff(tt.want, simplify(diags, tt.want)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVariablePrompt: only required variables without a value are asked for, in name order,
// with their description and sensitivity; the answer is parsed as -var's and validated.
func TestVariablePrompt(t *testing.T) {
	dir := writeDir(t, map[string]string{"eval.hcl": `
variable "key" {
  description = "The API key"
  sensitive   = true
}
variable "n" {
  type = number
  validation {
    condition     = var.n > 0
    error_message = "n must be positive."
  }
}
variable "given" {}
variable "defaulted" { default = "d" }
`})
	answers := map[string]string{"key": "s3cret", "n": "0"}
	var asked []string
	cfg, diags := Load(dir, LoadOptions{
		Vars: []VarArg{{Name: "given", Value: "g"}},
		Prompt: func(v *Variable) (string, error) {
			asked = append(asked, fmt.Sprintf("%s %q %v", v.Name, v.Description, v.Sensitive))
			return answers[v.Name], nil
		},
	})
	if diff := cmp.Diff([]string{`key "The API key" true`, `n "" false`}, asked); diff != "" {
		t.Errorf("asked (-want +got):\n%s", diff)
	}
	want := []diag{{"error", "eval.hcl:6:1", "Invalid value for variable", "n must be positive."}}
	if diff := cmp.Diff(want, simplify(diags, want)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if v, _ := cfg.Variables["key"].Value.Unmark(); !v.RawEquals(cty.StringVal("s3cret")) {
		t.Errorf("key = %#v, want the answer", v)
	}

	_, diags = Load(dir, LoadOptions{Prompt: func(*Variable) (string, error) { return "", errors.New("EOF") }})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "reading it failed: EOF") {
		t.Errorf("a failed read: %v", diags)
	}
}
