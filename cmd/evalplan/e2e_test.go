package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/plantest"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// TestExamples validates and plans (-refresh=false) every directory under examples/ that
// holds an eval.hcl, as CI does, each in a temporary copy so that nothing is written into
// the repository: validate must exit 0, plan 0 or 2.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "eval.hcl" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no eval.hcl under %s", root)
	}
	for _, dir := range dirs {
		name, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			t.Parallel()
			work := filepath.Join(t.TempDir(), "example")
			if err := copyExample(dir, work); err != nil {
				t.Fatal(err)
			}
			if code, out := runCLI(t, "-chdir="+work, "validate", "-no-color"); code != exitOK {
				t.Fatalf("evalplan validate: exit %d, want 0\n%s", code, out)
			}
			if code, out := runCLI(t, "-chdir="+work, "plan", "-refresh=false", "-no-color"); code != exitOK && code != exitChanges {
				t.Fatalf("evalplan plan -refresh=false: exit %d, want 0 or 2\n%s", code, out)
			}
			checkGraph(t, work)
		})
	}
}

// checkGraph compares what `evalplan graph` prints for the configuration in dir with the
// graph apply walks for the same plan (plan.BuildGraph of Engine.Plan): one builder.
func checkGraph(t *testing.T, dir string) {
	t.Helper()
	var out, errs strings.Builder
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errs}
	if code := c.main([]string{"-chdir=" + dir, "graph"}); code != exitOK {
		t.Fatalf("evalplan graph: exit %d\n%s", code, errs.String())
	}
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	cfg := plantest.Load(t, dir, nil, nil)
	p, diags := c.engine(cfg, cat).Plan(c.ctx, cfg, state.New(version), plan.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := plan.BuildGraph(cfg, p)
	if diff := cmp.Diff(want.DOT(), out.String()); diff != "" {
		t.Errorf("evalplan graph differs from the graph apply walks (-apply +graph):\n%s", diff)
	}
	for _, a := range p.Actions {
		if !want.Has(a.Address) {
			t.Errorf("%s (%s) is not in apply's graph", a.Address, a.Action)
		}
	}
}

// runCLI runs evalplan in-process with an empty environment (no EVALPLAN_VAR_*, no keys) and
// returns its exit code and everything it printed.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out strings.Builder
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &out}
	code := c.main(args)
	return code, out.String()
}

// copyExample copies an example's files into dst, leaving out what running it locally
// leaves behind (state, outputs, caches, the demo's simulator files).
func copyExample(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && skipExampleFile(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target)
	})
}

func skipExampleFile(name string) bool {
	switch name {
	case "output", ".evalplan", ".demo":
		return true
	}
	return strings.HasPrefix(name, "evalplan.state.json") || strings.HasSuffix(name, ".plan.json")
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
