package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
)

// TestOutputTargetRefusesInputs: a user-named output file never replaces the state, its
// backup or lock, a configuration or variable file, a directory, a symlink or a device.
func TestOutputTargetRefusesInputs(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"evalplan.state.json": "{}", "evalplan.state.json.backup": "{}", "eval.hcl": "", "prod.vars": "a = 1",
		"old.plan": "x", "target.txt": "t",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	must(t, os.Symlink(filepath.Join(dir, "target.txt"), filepath.Join(dir, "link.txt")))
	must(t, os.Symlink(dir, filepath.Join(dir, "alias")))
	c := &cli{dir: dir}
	statePath := filepath.Join(dir, "evalplan.state.json")
	tests := []struct {
		name, path, wantErr string
	}{
		{name: "new file", path: "new.plan"},
		{name: "new file in a new directory", path: "reports/r.md"},
		{name: "regular file", path: "old.plan"},
		{name: "state", path: "evalplan.state.json", wantErr: "is the state file;"},
		{name: "state through a symlinked directory", path: "alias/evalplan.state.json", wantErr: "is the state file;"},
		{name: "state backup", path: "evalplan.state.json.backup", wantErr: "is the state file's backup;"},
		{name: "state lock", path: "evalplan.state.json.lock", wantErr: "is the state lock;"},
		{name: "configuration", path: "eval.hcl", wantErr: "is a configuration or variable file (*.hcl);"},
		{name: "new hcl file", path: "prod.evalvars.hcl", wantErr: "is a configuration or variable file (*.hcl);"},
		{name: "var file", path: "prod.vars", wantErr: "is a variable file (-var-file);"},
		{name: "directory", path: "sub", wantErr: "is a directory;"},
		{name: "symlink", path: "link.txt", wantErr: "is a symlink;"},
		{name: "device", path: os.DevNull, wantErr: "is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := outputTarget{Flag: "-out", Path: c.abs(tt.path), State: statePath, Vars: []config.VarArg{{File: "prod.vars"}}}
			err := target.write(c, []byte("plan"))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(c.abs(tt.path)); string(b) != "plan" {
					t.Errorf("%s holds %q, want %q", tt.path, b, "plan")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "-out "+c.abs(tt.path)) {
				t.Fatalf("write %s: error %v, want one naming the path and containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
	for name, want := range map[string]string{"evalplan.state.json": "{}", "evalplan.state.json.backup": "{}", "prod.vars": "a = 1", "target.txt": "t"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s was overwritten: %q", name, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "old.plan.backup")); err == nil {
		t.Error("replacing old.plan left old.plan.backup")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
