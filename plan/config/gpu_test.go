package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

func TestGPUInventory(t *testing.T) {
	tests := []struct {
		name, body string
		want       *GPU
		wantErr    string
	}{
		{name: "local", body: `devices = "all"`, want: &GPU{Name: "g"}},
		{name: "declared", body: `count = 8
memory = "80GiB"
name = "NVIDIA H100 80GB HBM3"`, want: &GPU{Name: "g", Count: 8, MemoryMiB: 81920, DeviceName: "NVIDIA H100 80GB HBM3"}},
		{name: "MiB with a space", body: "count = 1\nmemory = \"24576 MiB\"", want: &GPU{Name: "g", Count: 1, MemoryMiB: 24576}},
		{name: "GB is decimal", body: "count = 1\nmemory = \"80GB\"", want: &GPU{Name: "g", Count: 1, MemoryMiB: 76293}},
		{name: "count without memory", body: "count = 2", wantErr: "Incomplete GPU inventory"},
		{name: "memory without count", body: `memory = "80GiB"`, wantErr: "Incomplete GPU inventory"},
		{name: "bad memory", body: "count = 1\nmemory = \"lots\"", wantErr: `memory "lots" is not a size`},
		{name: "zero count", body: "count = 0\nmemory = \"80GiB\"", wantErr: "count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"eval.hcl": "gpu \"g\" {\n" + tt.body + "\n}\n"})
			cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}})
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("diagnostics = %v, want %q", diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tt.want, cfg.GPUs["g"], cmpopts.IgnoreTypes(hcl.Range{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
