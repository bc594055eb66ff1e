package mlflow

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// containerRunDir writes a run directory like the container runner's (NeMo Evaluator's
// outputs plus evalplan's), with a cache directory, a temporary file and a sparse file over
// MaxArtifactSize; it returns the directory and the files that should be uploaded.
func containerRunDir(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		"results.json":               []byte(`{"score": 0.75, "primary": "score_micro", "n": 4}` + "\n"),
		"results.yml":                []byte("results:\n  tasks:\n    gpqa_diamond: {}\n"),
		"run_config.yml":             []byte("config:\n  type: gpqa_diamond\n"),
		"container.log":              []byte("evalplan: attempt started\nevaluator: sample 1/4\n"),
		"metadata.yaml":              []byte("versioning:\n  nemo_evaluator: 0.1\n"),
		"eval_factory_metrics.json":  []byte(`{"response_stats": {"count": 4}}` + "\n"),
		"report.json":                []byte(`[{"id": 1}]` + "\n"),
		"report.html":                []byte("<html><body>report</body></html>\n"),
		"gpqa_diamond/samples.jsonl": []byte(`{"id": 1}` + "\n"),
	}
	left := map[string][]byte{
		"cache/responses.db":    []byte("cached"),
		"cache/requests.json":   []byte("{}"),
		".evalplan/lock.json":   []byte("{}"),
		"results.json.tmp":      []byte("{"),
		"core":                  []byte("binary"),
		"gpqa_diamond/model.pt": []byte("weights"),
	}
	for name, b := range merge(files, left) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big, err := os.Create(filepath.Join(dir, "big.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if err := big.Truncate(MaxArtifactSize + 1<<20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	return dir, files
}

func merge(a, b map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestExportContainerRunDir exports a container run's directory to the real MLflow server:
// every file a user reads is uploaded byte for byte; caches, hidden directories, temporary
// and binary files are not; too-big files and skipped directories are named in a tag and
// in the note.
func TestExportContainerRunDir(t *testing.T) {
	uri := trackingURI(t)
	ctx := context.Background()
	exp := experimentName(t)
	dir, files := containerRunDir(t)
	rec := record(dir, "5555eeee6666ffff")
	rec.Benchmark, rec.Harness, rec.Task = "simple_evals.gpqa_diamond", "simple_evals", "gpqa_diamond"

	ref, err := newExporter().Export(ctx, block(uri, exp), rec)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, uri)
	run, err := c.GetRun(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	listed := artifactFiles(ctx, t, c, ref)
	var want []string
	for name := range files {
		want = append(want, name)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	for name, b := range files {
		got, err := c.DownloadArtifact(ctx, run.Info.ArtifactURI, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("artifact %s differs:\n got %q\nwant %q", name, got, b)
		}
	}
	wantSkipped := ".evalplan/ (directory), big.log (101 MB, over the 100 MB limit), cache/ (directory)"
	if got, _ := run.Tag(TagSkipped); got != wantSkipped {
		t.Errorf("tag %s = %q, want %q", TagSkipped, got, wantSkipped)
	}
	if got, _ := run.Tag("mlflow.note.content"); !strings.Contains(got, wantSkipped) {
		t.Errorf("note does not list the skipped entries:\n%s", got)
	}
}
