package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestLoadEmptyConfiguration: a configuration that declares nothing is an error, never an
// empty Config that would plan to forget every recorded run.
func TestLoadEmptyConfiguration(t *testing.T) {
	empty := []diag{{Severity: "error", Summary: "Empty configuration", Detail: "declare nothing. An empty configuration is not applied: it would forget every run"}}
	tests := []struct {
		name  string
		files map[string]string
		want  []diag
	}{
		{name: "empty file", files: map[string]string{"eval.hcl": ""}, want: empty},
		{name: "whitespace", files: map[string]string{"eval.hcl": "\n  \t\n"}, want: empty},
		{name: "comments only", files: map[string]string{"eval.hcl": "# nothing\n// here\n/* at all */\n", "b.hcl": "\n"}, want: empty},
		{name: "comments and a variables file", files: map[string]string{"eval.hcl": "# x\n", "x.auto.evalvars.hcl": "a = 1\n"}, want: empty},
		{name: "one block", files: map[string]string{"eval.hcl": "# x\n", "b.hcl": "evalplan {}\n"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Load(writeDir(t, tt.files), LoadOptions{})
			if diff := cmp.Diff(tt.want, simplify(diags, tt.want), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
