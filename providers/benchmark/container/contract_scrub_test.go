package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/google/go-cmp/cmp"
)

// TestSettle: after the container, run_config.yml is evalplan's copy again, the
// evaluator's rewrite is kept as run_config.resolved.yml, and no file the evaluator wrote
// (the resolved config, results.yml, report.*) holds the endpoint's credentials. The
// evaluator's files are the real ones of nemo-evaluator 0.2.8, with a secret URL put in.
func TestSettle(t *testing.T) {
	const secretURL = "http://alice:S3CRETPASS@127.0.0.1:18442/v1"
	ep := &config.Endpoint{URL: secretURL, APIKey: "sk-THEKEY-123"}
	real := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(b), "http://127.0.0.1:18442/v1", secretURL)
	}
	own := "config:\n    type: mmlu\ntarget:\n    api_endpoint:\n        url: (redacted: the endpoint URL is secret)\n"
	files := map[string]string{
		rundir.ContainerConfigFile:  real("simple_evals.mmlu.run_config.as-rewritten-by-nemo-evaluator.yml"),
		rundir.ContainerResultsFile: real("simple_evals.mmlu.results.yml"),
		"report.json":               `{"url": "` + secretURL + `/chat/completions", "key": "sk-THEKEY-123"}`,
		"mmlu/cache/cache.db":       "binary " + secretURL, // not a text file: left alone
	}
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := settle(dir, []byte(own), ep); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if diff := cmp.Diff(own, read(rundir.ContainerConfigFile)); diff != "" {
		t.Errorf("run_config.yml is not evalplan's copy (-want +got):\n%s", diff)
	}
	resolved := read(ResolvedConfigFile)
	if !strings.Contains(resolved, "url: http://[redacted]@127.0.0.1:18442/v1/chat/completions") {
		t.Errorf("the resolved config lost its (scrubbed) URL:\n%s", resolved)
	}
	for _, name := range []string{ResolvedConfigFile, rundir.ContainerResultsFile, "report.json"} {
		if s := read(name); strings.Contains(s, "S3CRETPASS") || strings.Contains(s, "alice") || strings.Contains(s, "THEKEY") {
			t.Errorf("%s still holds a secret:\n%s", name, s)
		}
	}
	if !strings.Contains(read("mmlu/cache/cache.db"), "S3CRETPASS") {
		t.Error("a binary file was rewritten")
	}
}
