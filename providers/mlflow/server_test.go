package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// These tests run against the real MLflow server that .ci/services.d/40-mlflow.sh starts.

// trackingURI is the test server's URI; tests skip without one, and fail when CI=true.
func trackingURI(t *testing.T) string {
	t.Helper()
	uri := os.Getenv("EVALPLAN_TEST_MLFLOW_URI")
	if uri == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_MLFLOW_URI is not set: .ci/services.sh must start the MLflow server (CI=true)")
		}
		t.Skip("EVALPLAN_TEST_MLFLOW_URI is not set; run .ci/services.sh to start an MLflow server")
	}
	return uri
}

// mlflowBinary is the mlflow program of the test venv.
func mlflowBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("EVALPLAN_MLFLOW")
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_MLFLOW is not set: .ci/services.sh must install MLflow (CI=true)")
		}
		t.Skip("EVALPLAN_MLFLOW is not set; run .ci/services.sh to install MLflow")
	}
	return bin
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// experimentName is unique per test and run, so tests never see each other's runs.
func experimentName(t *testing.T) string {
	return "evalplan-test-" + unsafeName.ReplaceAllString(t.Name(), "_") + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

func block(uri, experiment string) *config.Exporter {
	return &config.Exporter{Type: "mlflow", Name: "team", Attrs: map[string]cty.Value{
		"tracking_uri": cty.StringVal(uri),
		"experiment":   cty.StringVal(experiment),
		"tags":         cty.MapVal(map[string]cty.Value{"team": cty.StringVal("eval")}),
	}}
}

func newExporter() *Exporter {
	return &Exporter{Getenv: func(string) string { return "" }}
}

// runDir writes a run directory like the native harness's and returns its files.
func runDir(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		"results.json":    []byte(`{"score": 0.5, "primary": "exact_match", "n": 2, "errors": 1}` + "\n"),
		"run_config.json": []byte(`{"benchmark": "native.gsm8k", "endpoint": "qwen"}` + "\n"),
		"samples.jsonl": []byte(`{"id":"a","prompt":[{"role":"user","content":"1+1? \"quoted\" ünïcode"}],"response":"2","target":"2","extracted":{"exact_match":"2"},"score":{"exact_match":1},"error":null,"latency_ms":12,"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4},"attempts":1}
{"id":"b","prompt":[{"role":"user","content":"2+2?"}],"response":"5","target":"4","extracted":{"exact_match":"5"},"score":{"exact_match":0},"error":null,"latency_ms":9,"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4},"attempts":1}
{"id":"c","prompt":[{"role":"user","content":"3+3?"}],"response":null,"target":"6","extracted":{},"score":{},"error":"HTTP 500","latency_ms":30,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},"attempts":3}
`),
		"server.log":      []byte("INFO started\n"),
		"logs/bench.log":  []byte("line 1\nline 2\n"),
		"not-an-artifact": []byte("x"),
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	delete(files, "not-an-artifact")
	return dir, files
}

func ptr[T any](v T) *T { return &v }

func record(dir, identity string) *plan.ExportRecord {
	return &plan.ExportRecord{
		Address: `suite.quick.run["native.gsm8k"]["qwen"]`, Suite: "quick", Benchmark: "native.gsm8k",
		Endpoint: "qwen", Model: "Qwen/Qwen2.5-7B-Instruct", Harness: "native", Task: "gsm8k",
		Identity: identity, Status: "complete", RunDir: dir, EvalplanVersion: "0.1.0-test",
		Inputs: map[string]any{
			"benchmark": map[string]any{"name": "native.gsm8k", "harness": "native", "task": "gsm8k"},
			"endpoint":  map[string]any{"model": "Qwen/Qwen2.5-7B-Instruct", "type": "chat"},
			"params":    map[string]any{"temperature": 0.0, "limit_samples": 3.0, "seed": 0.0, "sample": "random"},
		},
		Result: &result.Result{
			Score: 0.5, Primary: "exact_match", N: 2, Errors: 1,
			Metrics: map[string]result.Metric{
				"exact_match": {Value: 0.5, Stderr: ptr(0.5), CI95: &[2]float64{-0.48, 1.48}, N: 2},
			},
			Subscores: map[string]map[string]result.Metric{"level": {"easy@1": {Value: 1, N: 1}, "hard": {Value: 0, N: 1}}},
		},
	}
}

func client(t *testing.T, uri string) *Client {
	t.Helper()
	c, err := NewClient(uri, Auth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// artifactFiles lists every file artifact of run ref, walking MLflow's listing, sorted.
func artifactFiles(ctx context.Context, t *testing.T, c *Client, ref string) []string {
	t.Helper()
	var listed []string
	var walk func(path string)
	walk = func(path string) {
		arts, err := c.ListArtifacts(ctx, ref, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			if a.IsDir {
				walk(a.Path)
				continue
			}
			listed = append(listed, a.Path)
		}
	}
	walk("")
	sort.Strings(listed)
	return listed
}

// runsOf returns the experiment's runs as MLflow reports them.
func runsOf(t *testing.T, c *Client, experiment string) []Run {
	t.Helper()
	ctx := context.Background()
	exp, err := c.ExperimentByName(ctx, experiment)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := c.SearchRuns(ctx, []string{exp.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func gitRepo(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = t.TempDir()
	for _, args := range [][]string{
		{"init", "-q"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "config"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Skipf("git: %v: %s", err, out)
		}
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return dir, strings.TrimSpace(string(out))
}

func TestExportReadBack(t *testing.T) {
	uri := trackingURI(t)
	ctx := context.Background()
	exp := experimentName(t)
	dir, files := runDir(t)
	rec := record(dir, "1111aaaa2222bbbb")
	configDir, commit := gitRepo(t)
	rec.ConfigDir = configDir
	x := block(uri, exp)

	ref, err := newExporter().Export(ctx, x, rec)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, uri)
	runs := runsOf(t, c, exp)
	if len(runs) != 1 || runs[0].Info.RunID != ref {
		t.Fatalf("want one run %s, got %+v", ref, runs)
	}
	run, err := c.GetRun(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if run.Info.Status != "FINISHED" || run.Info.RunName != "native.gsm8k · qwen" {
		t.Errorf("run info: %+v", run.Info)
	}

	// Metrics, params and tags.
	wantMetrics := map[string]float64{
		"score": 0.5, "n": 2, "errors": 1, "exact_match": 0.5, "exact_match_stderr": 0.5,
		"exact_match_ci95_lo": -0.48, "exact_match_ci95_hi": 1.48,
		"level/easy_1": 1, "level/easy_1_n": 1, "level/hard": 0, "level/hard_n": 1,
	}
	gotMetrics := map[string]float64{}
	for _, m := range run.Data.Metrics {
		gotMetrics[m.Key] = m.Value
	}
	if diff := cmp.Diff(wantMetrics, gotMetrics); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	wantParams := map[string]string{
		"benchmark.harness": "native", "benchmark.name": "native.gsm8k", "benchmark.task": "gsm8k",
		"endpoint.model": "Qwen/Qwen2.5-7B-Instruct", "endpoint.type": "chat",
		"params.limit_samples": "3", "params.sample": "random", "params.seed": "0", "params.temperature": "0",
	}
	gotParams := map[string]string{}
	for _, p := range run.Data.Params {
		gotParams[p.Key] = p.Value
	}
	if diff := cmp.Diff(wantParams, gotParams); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	wantTags := map[string]string{
		TagAddress: rec.Address, TagIdentity: rec.Identity, TagVersion: "0.1.0-test",
		"model": rec.Model, "endpoint": "qwen", "suite": "quick", "benchmark": "native.gsm8k",
		"harness": "native", "team": "eval", TagGitCommit: commit,
		"mlflow.runName": "native.gsm8k · qwen", tagLogged: `[{"path": "samples_table.json", "type": "table"}]`,
	}
	for k, want := range wantTags {
		if got, _ := run.Tag(k); got != want {
			t.Errorf("tag %s = %q, want %q", k, got, want)
		}
	}

	// Artifacts, byte for byte, through MLflow's own listing and the proxy.
	listed := artifactFiles(ctx, t, c, ref)
	if diff := cmp.Diff([]string{"logs/bench.log", "results.json", "run_config.json", "samples.jsonl", "samples_table.json", "server.log"}, listed); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	for name, want := range files {
		got, err := c.DownloadArtifact(ctx, run.Info.ArtifactURI, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("artifact %s differs:\n got %q\nwant %q", name, got, want)
		}
	}
	table, err := c.DownloadArtifact(ctx, run.Info.ArtifactURI, TableArtifact)
	if err != nil {
		t.Fatal(err)
	}
	var tbl struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err := json.Unmarshal(table, &tbl); err != nil {
		t.Fatalf("table is not JSON: %v", err)
	}
	if len(tbl.Data) != 3 || tbl.Data[0][1] != `1+1? "quoted" ünïcode` || tbl.Data[2][4] != "HTTP 500" {
		t.Errorf("table: %+v", tbl)
	}

	// Exporting again, even with a fresh exporter (state lost), finds the run by identity.
	ref2, err := newExporter().Export(ctx, x, rec)
	if err != nil {
		t.Fatal(err)
	}
	if ref2 != ref || len(runsOf(t, c, exp)) != 1 {
		t.Errorf("second export: ref %s (want %s), %d runs", ref2, ref, len(runsOf(t, c, exp)))
	}
	// A new identity is a new run.
	rec.Identity = "3333cccc4444dddd"
	ref3, err := newExporter().Export(ctx, x, rec)
	if err != nil {
		t.Fatal(err)
	}
	if ref3 == ref || len(runsOf(t, c, exp)) != 2 {
		t.Errorf("new identity: ref %s, %d runs; want a second run", ref3, len(runsOf(t, c, exp)))
	}
}

func TestExportCompletesInterruptedRun(t *testing.T) {
	uri := trackingURI(t)
	ctx := context.Background()
	exp := experimentName(t)
	c := client(t, uri)
	e, err := c.EnsureExperiment(ctx, exp)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := runDir(t)
	rec := record(dir, "5555eeee")
	// An export cut short after creating its run: RUNNING, with the identity tag only.
	cut, err := c.CreateRun(ctx, e.ID, "cut short", time.Now(), []Tag{{Key: TagIdentity, Value: rec.Identity}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := newExporter().Export(ctx, block(uri, exp), rec)
	if err != nil {
		t.Fatal(err)
	}
	if ref != cut.Info.RunID {
		t.Errorf("ref %s, want the interrupted run %s", ref, cut.Info.RunID)
	}
	run, err := c.GetRun(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if run.Info.Status != "FINISHED" || len(run.Data.Metrics) == 0 {
		t.Errorf("interrupted run not completed: %+v", run.Info)
	}
}

func TestExportLongParamAndManyMetrics(t *testing.T) {
	uri := trackingURI(t)
	ctx := context.Background()
	exp := experimentName(t)
	rec := record("", "6666ffff")
	long := strings.Repeat("0123456789", 700) // 7,000 characters
	rec.Inputs["task"] = long
	subs := map[string]result.Metric{}
	for i := range 1000 {
		subs[fmt.Sprintf("s%04d", i)] = result.Metric{Value: float64(i) / 1000, Stderr: ptr(0.01), CI95: &[2]float64{0, 1}, N: 10}
	}
	rec.Result.Subscores = map[string]map[string]result.Metric{"subject": subs}
	ref, err := newExporter().Export(ctx, block(uri, exp), rec)
	if err != nil {
		t.Fatal(err)
	}
	run, err := client(t, uri).GetRun(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := len(Metrics(rec.Result, time.Now()))
	if want < 5000 || len(run.Data.Metrics) != want {
		t.Errorf("%d metrics logged, want %d (≥ 5000)", len(run.Data.Metrics), want)
	}
	for _, m := range run.Data.Metrics {
		if m.Key == "subject/s0999" && m.Value != 0.999 {
			t.Errorf("subject/s0999 = %v", m.Value)
		}
	}
	for _, p := range run.Data.Params {
		if p.Key == "task" && p.Value != long[:MaxParamValueLength] {
			t.Errorf("long param: %d characters, want the first %d", len(p.Value), MaxParamValueLength)
		}
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestExportServerDown(t *testing.T) {
	uri := fmt.Sprintf("http://127.0.0.1:%d", closedPort(t))
	_, err := newExporter().Export(context.Background(), block(uri, "x"), record("", "77"))
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
	for _, want := range []string{"is not reachable", uri, "evalplan mlflow start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestExportSendsToken(t *testing.T) {
	uri := trackingURI(t)
	e := &Exporter{Getenv: func(k string) string {
		return map[string]string{"MLFLOW_TRACKING_TOKEN": "secret-token"}[k]
	}}
	// The test server has no auth: a bearer token is accepted and the export works.
	if _, err := e.Export(context.Background(), block(uri, experimentName(t)), record("", "88")); err != nil {
		t.Fatal(err)
	}
}

// TestPythonClientReadBack reads an export back with MLflow's own Python client.
func TestPythonClientReadBack(t *testing.T) {
	uri := trackingURI(t)
	python := filepath.Join(filepath.Dir(mlflowBinary(t)), "python")
	ctx := context.Background()
	exp := experimentName(t)
	dir, _ := runDir(t)
	ref, err := newExporter().Export(ctx, block(uri, exp), record(dir, "9999"))
	if err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, mlflow
from mlflow.tracking import MlflowClient
uri, run_id, exp = sys.argv[1:4]
mlflow.set_tracking_uri(uri)
c = MlflowClient(uri)
r = c.get_run(run_id)
e = c.get_experiment_by_name(exp)
df = c.load_table(e.experiment_id, "samples_table.json", run_ids=[run_id])
local = c.download_artifacts(run_id, "results.json")
print(json.dumps({
  "status": r.info.status,
  "score": r.data.metrics["score"],
  "model": r.data.tags["model"],
  "temperature": r.data.params["params.temperature"],
  "rows": len(df),
  "ids": sorted(df["id"].tolist()),
  "results": open(local).read(),
}, sort_keys=True))
`
	cmd := exec.CommandContext(ctx, python, "-c", script, uri, ref, exp)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	want := map[string]any{
		"status": "FINISHED", "score": 0.5, "model": "Qwen/Qwen2.5-7B-Instruct", "temperature": "0",
		"rows": 3.0, "ids": []any{"a", "b", "c"},
		"results": `{"score": 0.5, "primary": "exact_match", "n": 2, "errors": 1}` + "\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Python client read back (-want +got):\n%s", diff)
	}
}
