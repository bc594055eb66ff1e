package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func ptr[T any](v T) *T { return &v }

func record(bench, ep string, score float64) *plan.ExportRecord {
	addr := `suite.quick.run["` + bench + `"]["` + ep + `"]`
	return &plan.ExportRecord{
		Address: addr, Suite: "quick", Benchmark: bench, Endpoint: ep, Model: "m-" + ep,
		Harness: "native", Task: strings.TrimPrefix(bench, "native."), Identity: "id-" + bench + "-" + ep,
		Status: "complete",
		Result: &result.Result{
			Score: score, Primary: "accuracy", N: 4, Errors: 1,
			Metrics: map[string]result.Metric{
				"accuracy": {Value: score, Stderr: ptr(0.25), CI95: &[2]float64{score - 0.49, score + 0.49}, N: 4},
			},
		},
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExportWritesAndUpserts(t *testing.T) {
	dir := t.TempDir()
	e := &Exporter{ConfigDir: dir, OutputDir: filepath.Join(dir, "output")}
	x := &config.Exporter{Type: "local", Name: "files", Attrs: map[string]cty.Value{}}
	ctx := context.Background()

	steps := []*plan.ExportRecord{record("native.mmlu", "qwen", 0.5), record("native.gsm8k", "qwen", 0.75)}
	for _, rec := range steps {
		ref, err := e.Export(ctx, x, rec)
		if err != nil {
			t.Fatal(err)
		}
		if ref != "output/results/results.jsonl" {
			t.Errorf("ref = %q", ref)
		}
	}
	// Re-exporting a run replaces its row.
	again := record("native.mmlu", "qwen", 1)
	again.Identity = "id-new"
	again.Result.Metrics["accuracy"] = result.Metric{Value: 1, N: 1}
	again.Result.Subscores = map[string]map[string]result.Metric{"subject": {"law, \"intl\"": {Value: 1, N: 1}}}
	if _, err := e.Export(ctx, x, again); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "output", "results")
	wantJSONL := `{"address":"suite.quick.run[\"native.gsm8k\"][\"qwen\"]","suite":"quick","benchmark":"native.gsm8k","endpoint":"qwen","model":"m-qwen","harness":"native","task":"gsm8k","identity":"id-native.gsm8k-qwen","status":"complete","primary":"accuracy","score":0.75,"n":4,"errors":1,"run_dir":"","metrics.accuracy":0.75,"metrics.accuracy.ci95_hi":1.24,"metrics.accuracy.ci95_lo":0.26,"metrics.accuracy.n":4,"metrics.accuracy.stderr":0.25}
{"address":"suite.quick.run[\"native.mmlu\"][\"qwen\"]","suite":"quick","benchmark":"native.mmlu","endpoint":"qwen","model":"m-qwen","harness":"native","task":"mmlu","identity":"id-new","status":"complete","primary":"accuracy","score":1,"n":4,"errors":1,"run_dir":"","metrics.accuracy":1,"metrics.accuracy.ci95_hi":null,"metrics.accuracy.ci95_lo":null,"metrics.accuracy.n":1,"metrics.accuracy.stderr":null,"subscores.subject.law, \"intl\"":1}
`
	if diff := cmp.Diff(wantJSONL, read(t, filepath.Join(out, JSONLFile))); diff != "" {
		t.Errorf("results.jsonl (-want +got):\n%s", diff)
	}
	wantCSV := `address,suite,benchmark,endpoint,model,harness,task,identity,status,primary,score,n,errors,run_dir,metrics.accuracy,metrics.accuracy.ci95_hi,metrics.accuracy.ci95_lo,metrics.accuracy.n,metrics.accuracy.stderr,"subscores.subject.law, ""intl"""
"suite.quick.run[""native.gsm8k""][""qwen""]",quick,native.gsm8k,qwen,m-qwen,native,gsm8k,id-native.gsm8k-qwen,complete,accuracy,0.75,4,1,,0.75,1.24,0.26,4,0.25,
"suite.quick.run[""native.mmlu""][""qwen""]",quick,native.mmlu,qwen,m-qwen,native,mmlu,id-new,complete,accuracy,1,4,1,,1,,,1,,1
`
	if diff := cmp.Diff(wantCSV, read(t, filepath.Join(out, CSVFile))); diff != "" {
		t.Errorf("results.csv (-want +got):\n%s", diff)
	}
}

func TestDirAndRunDir(t *testing.T) {
	dir := t.TempDir()
	e := &Exporter{ConfigDir: dir, OutputDir: filepath.Join(dir, "output")}
	tests := []struct {
		name string
		path cty.Value
		want string
	}{
		{"default", cty.NilVal, filepath.Join(dir, "output", "results")},
		{"relative", cty.StringVal("agg"), filepath.Join(dir, "agg")},
		{"absolute", cty.StringVal("/srv/agg"), "/srv/agg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]cty.Value{}
			if tt.path != cty.NilVal {
				attrs["path"] = tt.path
			}
			got, err := e.Dir(&config.Exporter{Name: "f", Attrs: attrs})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Dir (-want +got):\n%s", diff)
			}
		})
	}
	rec := record("native.arc_challenge", "ref", 0.5)
	rec.RunDir = filepath.Join(dir, "output", "quick", "native.arc_challenge", "ref", "abc")
	row, err := e.Row(rec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("output/quick/native.arc_challenge/ref/abc", row["run_dir"]); diff != "" {
		t.Errorf("run_dir (-want +got):\n%s", diff)
	}
}

func TestConcurrentExports(t *testing.T) {
	dir := t.TempDir()
	e := &Exporter{ConfigDir: dir, OutputDir: dir}
	x := &config.Exporter{Type: "local", Name: "files", Attrs: map[string]cty.Value{"path": cty.StringVal("r")}}
	var wg sync.WaitGroup
	eps := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, ep := range eps {
		wg.Go(func() {
			if _, err := e.Export(context.Background(), x, record("native.mmlu", ep, 0.5)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rows, err := ReadRows(filepath.Join(dir, "r", JSONLFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(eps) {
		t.Errorf("%d rows, want %d", len(rows), len(eps))
	}
	lines := strings.Count(read(t, filepath.Join(dir, "r", CSVFile)), "\n")
	if lines != len(eps)+1 {
		t.Errorf("results.csv has %d lines, want %d", lines, len(eps)+1)
	}
}

func TestReadRowsRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, JSONLFile)
	if err := os.WriteFile(path, []byte("{\"address\":\"a\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadRows(path)
	if err == nil || !strings.Contains(err.Error(), JSONLFile+":2: not a result row") {
		t.Fatalf("err = %v", err)
	}
}
