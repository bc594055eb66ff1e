package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSupported(t *testing.T) {
	for v, want := range map[string]bool{"3.9": false, "3.10": true, "3.11": true, "3.13": true, "3.14": false, "2.7": false, "x": false} {
		if got := supported(v); got != want {
			t.Errorf("supported(%q) = %v, want %v", v, got, want)
		}
	}
}

// The lock does not depend on where or with which installer an environment was made.
func TestResolvedLockIgnoresInstallPaths(t *testing.T) {
	lock := func(record string) string {
		dir := t.TempDir()
		info := filepath.Join(dir, "lib", "python3.11", "site-packages", "nemo_evaluator-0.2.8.dist-info")
		if err := os.MkdirAll(info, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(info, "RECORD"), []byte(record), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := resolvedLock(dir)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	a := lock("nemo_evaluator/__init__.py,sha256=abc,10\n../../../bin/nemo-evaluator,sha256=one,5\nnemo_evaluator-0.2.8.dist-info/INSTALLER,sha256=pip,4\n")
	b := lock("../../../bin/nemo-evaluator,sha256=two,5\r\nnemo_evaluator/__init__.py,sha256=abc,10\r\nnemo_evaluator-0.2.8.dist-info/INSTALLER,sha256=uv,3\r\nnemo_evaluator-0.2.8.dist-info/uv_cache.json,sha256=x,9\r\n")
	if a != b {
		t.Errorf("locks differ:\n%s\n%s", a, b)
	}
	if !strings.HasPrefix(a, "nemo-evaluator==0.2.8 sha256:") {
		t.Errorf("lock = %q", a)
	}
	if c := lock("nemo_evaluator/__init__.py,sha256=xyz,10\n"); c == a {
		t.Error("a changed file does not change the lock")
	}
}

// An installer's seed (pip, setuptools) is left out of the lock unless a distribution
// requires it.
func TestResolvedLockLeavesOutUnrequiredSeeds(t *testing.T) {
	dir := t.TempDir()
	dist := func(name, metadata string) {
		info := filepath.Join(dir, "lib", "python3.11", "site-packages", name+".dist-info")
		if err := os.MkdirAll(info, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, body := range map[string]string{"RECORD": name + "/__init__.py,sha256=abc,1\n", "METADATA": metadata} {
			if err := os.WriteFile(filepath.Join(info, f), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	dist("pip-23.2.1", "Name: pip\n")
	dist("setuptools-65.5.0", "Name: setuptools\n")
	dist("wheel-0.45.1", "Name: wheel\n")
	dist("nemo_evaluator-0.2.8", "Name: nemo-evaluator\nRequires-Dist: Setuptools>=60; python_version < \"3.12\"\nRequires-Dist: wheel; extra == \"dev\"\n\nRequires-Dist: pip\n")
	b, err := resolvedLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		names = append(names, strings.Fields(l)[0])
	}
	if diff := cmp.Diff([]string{"nemo-evaluator==0.2.8", "setuptools==65.5.0"}, names); diff != "" {
		t.Errorf("lock (-want +got):\n%s", diff)
	}
}

func TestPythonErrorSaysWhatToInstall(t *testing.T) {
	dir := t.TempDir()
	py := filepath.Join(dir, "python3")
	if err := os.WriteFile(py, []byte("#!/bin/sh\necho 3.9\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Manager{Dir: t.TempDir(), Environ: []string{"PATH=" + dir}}
	_, err := m.Prepare(context.Background(), []string{"nemo-evaluator==0.2.8", "nvidia-simple-evals==26.3"}, nil)
	if err == nil || !strings.Contains(err.Error(), "python3 is 3.9") || !strings.Contains(err.Error(), "install python3.11") {
		t.Errorf("err = %v", err)
	}
	m.Environ = []string{"PATH=" + t.TempDir()}
	if _, err := m.Prepare(context.Background(), []string{"nemo-evaluator==0.2.8", "nvidia-simple-evals==26.3"}, nil); err == nil || !strings.Contains(err.Error(), "no Python found") {
		t.Errorf("err = %v", err)
	}
}

func TestListOpenClear(t *testing.T) {
	m := &Manager{Dir: t.TempDir()}
	env := filepath.Join(m.Dir, "py3.11-abc")
	if err := os.MkdirAll(filepath.Join(m.Dir, "incomplete"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(env, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(env, specFile), []byte("a==1\npython 3.11\n"), 0o644)
	os.WriteFile(filepath.Join(env, LockFile), []byte("a==1 sha256:00\n"), 0o644)
	envs, err := m.List()
	if err != nil || len(envs) != 1 || envs[0].Python != "3.11" || envs[0].Packages[0] != "a==1" || len(envs[0].Lock) != 64 {
		t.Fatalf("List = %+v, %v", envs, err)
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	if envs, _ := m.List(); len(envs) != 0 {
		t.Errorf("after Clear: %v", envs)
	}
}
