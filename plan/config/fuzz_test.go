package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that Load never panics, whatever eval.hcl holds.
func FuzzLoad(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*/*.hcl")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(dir, LoadOptions{Catalog: fakeCatalog{}, Environ: []string{"EVALPLAN_VAR_x=1"}})
		if cfg == nil {
			t.Fatal("nil Config")
		}
		if err := WriteDiagnostics(discard{}, cfg.HCLFiles(), diags, 80, false); err != nil {
			t.Fatal(err)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
