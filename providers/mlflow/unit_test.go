package mlflow

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestSanitizeKey(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct{ in, want string }{
		{"accuracy", "accuracy"},
		{"subject/high_school_math", "subject/high_school_math"},
		{"pass@1", "pass_1"},
		{"law, intl: (a)", "law_ intl_ _a_"},
		{"/lead//double/", "lead/double"},
		{"a/../b/./c", "a/__/b/_/c"},
		{"ünï", "_n_"},
		{"", "_"},
	}
	for _, tt := range tests {
		if got := SanitizeKey(tt.in); got != tt.want {
			t.Errorf("SanitizeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := SanitizeKey(long)
	if len(got) != MaxKeyLength || got == SanitizeKey(long+"b") {
		t.Errorf("long keys: len %d, distinct %v", len(got), got != SanitizeKey(long+"b"))
	}
}

func TestFlattenParams(t *testing.T) {
	in := map[string]any{
		"benchmark": map[string]any{"name": "native.gsm8k", "harness": "native"},
		"params": map[string]any{
			"temperature": 0.0, "max_new_tokens": 512.0, "limit_samples": nil,
			"extra": map[string]any{"k@1": []any{"x", 1.5}},
		},
		"dataset": strings.Repeat("x", MaxParamValueLength+10),
		"empty":   map[string]any{},
	}
	want := []Param{
		{"benchmark.harness", "native"},
		{"benchmark.name", "native.gsm8k"},
		{"dataset", strings.Repeat("x", MaxParamValueLength)},
		{"empty", "{}"},
		{"params.extra.k_1", `["x",1.5]`},
		{"params.limit_samples", "null"},
		{"params.max_new_tokens", "512"},
		{"params.temperature", "0"},
	}
	if diff := cmp.Diff(want, FlattenParams(in)); diff != "" {
		t.Errorf("FlattenParams (-want +got):\n%s", diff)
	}
	if got := FlattenParams(map[string]any{"a@b": "1", "a#b": "2"}); len(got) != 2 || got[0].Key == got[1].Key {
		t.Errorf("colliding keys not made unique: %v", got)
	}
}

func TestTruncateCountsCharacters(t *testing.T) {
	s := strings.Repeat("é", 10)
	if got := truncate(s, 4); got != "éééé" {
		t.Errorf("truncate = %q", got)
	}
}

func TestMetrics(t *testing.T) {
	se := 0.1
	r := &result.Result{
		Score: 0.5, Primary: "flexible_extract", N: 4, Errors: 1,
		Metrics: map[string]result.Metric{
			"strict_match":     {Value: 0.25, N: 4, Stderr: &se, CI95: &[2]float64{0.05, 0.45}},
			"flexible_extract": {Value: 0.5, N: 1},
		},
		Subscores: map[string]map[string]result.Metric{"subject": {"high school/math": {Value: 1, N: 2}}},
	}
	at := time.UnixMilli(1700000000000)
	var got []string
	for _, m := range Metrics(r, at) {
		if m.Timestamp != at.UnixMilli() {
			t.Errorf("%s: timestamp %d", m.Key, m.Timestamp)
		}
		b, _ := json.Marshal(m.Value)
		got = append(got, m.Key+"="+string(b))
	}
	want := []string{
		"score=0.5", "n=4", "errors=1", "flexible_extract=0.5",
		"strict_match=0.25", "strict_match_stderr=0.1", "strict_match_ci95_lo=0.05", "strict_match_ci95_hi=0.45",
		"subject/high school/math=1", "subject/high school/math_n=2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Metrics (-want +got):\n%s", diff)
	}
}

func TestBatchesRespectLimits(t *testing.T) {
	var ms []Metric
	for i := range 2500 {
		ms = append(ms, Metric{Key: "m" + strings.Repeat("x", i%7)})
	}
	var ps []Param
	for range 250 {
		ps = append(ps, Param{Key: "p", Value: strings.Repeat("v", 6000)})
	}
	var ts []Tag
	for range 150 {
		ts = append(ts, Tag{Key: "t", Value: "v"})
	}
	bs := batches(ms, ps, ts)
	var nm, np, nt int
	for i, b := range bs {
		if len(b.params) > MaxParamsTagsPerBatch || len(b.tags) > MaxParamsTagsPerBatch ||
			len(b.metrics) > MaxMetricsPerBatch || len(b.metrics)+len(b.params)+len(b.tags) > MaxMetricsPerBatch {
			t.Errorf("batch %d over the limits: %d metrics, %d params, %d tags", i, len(b.metrics), len(b.params), len(b.tags))
		}
		body, _ := json.Marshal(map[string]any{"run_id": "x", "metrics": b.metrics, "params": b.params, "tags": b.tags})
		if len(body) > 1_000_000 {
			t.Errorf("batch %d is %d bytes", i, len(body))
		}
		nm, np, nt = nm+len(b.metrics), np+len(b.params), nt+len(b.tags)
	}
	if nm != 2500 || np != 250 || nt != 150 {
		t.Errorf("lost entities: %d metrics, %d params, %d tags", nm, np, nt)
	}
}

func TestWriteTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "samples.jsonl")
	lines := `{"id":"0","prompt":[{"role":"user","content":"What is 1+1?"}],"response":null,"target":"2","extracted":{},"score":{},"error":"timeout","latency_ms":5,"usage":{},"attempts":3}
{"id":"1","prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"}],"response":"4","target":"4","extracted":{"exact_match":"4"},"score":{"exact_match":1},"error":null,"latency_ms":7.5,"usage":{},"attempts":1}
{"id":"0","prompt":"Q: 1+1\nA:","response":"#### 2","target":"2","extracted":{"exact_match":null},"score":{"exact_match":0},"error":null,"latency_ms":3,"usage":{},"attempts":1}
{"id":"2","prompt":
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := WriteTable(&buf, path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	want := struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}{
		Columns: []string{"id", "prompt", "response", "target", "error", "latency_ms", "extracted/exact_match", "score/exact_match"},
		Data: [][]any{
			{"1", "system: Be brief.\n\nuser: 2+2?", "4", "4", nil, 7.5, "4", 1.0},
			{"0", "Q: 1+1\nA:", "#### 2", "2", nil, 3.0, nil, 0.0},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	if n != 2 {
		t.Errorf("rows = %d", n)
	}
}

func TestWithTable(t *testing.T) {
	tests := []struct{ prior, want string }{
		{"", `[{"path": "samples_table.json", "type": "table"}]`},
		{"not json", `[{"path": "samples_table.json", "type": "table"}]`},
		{`[{"path": "samples_table.json", "type": "table"}]`, `[{"path": "samples_table.json", "type": "table"}]`},
		{`[{"path": "eval/t.json", "type": "table"}]`, `[{"path": "eval/t.json", "type": "table"}, {"path": "samples_table.json", "type": "table"}]`},
	}
	for _, tt := range tests {
		if got := withTable(tt.prior); got != tt.want {
			t.Errorf("withTable(%q) = %q, want %q", tt.prior, got, tt.want)
		}
	}
}

func TestArtifactURL(t *testing.T) {
	c, err := NewClient("http://127.0.0.1:5001/prefix/", Auth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ uri, rel, want string }{
		{"mlflow-artifacts:/1/abc/artifacts", "results.json", "http://127.0.0.1:5001/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/results.json"},
		{"mlflow-artifacts://other:9/1/abc/artifacts/", "logs/a.log", "http://other:9/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/logs/a.log"},
		{"http://store/x", "a", "http://store/x/a"},
	}
	for _, tt := range tests {
		got, err := c.artifactURL(tt.uri, tt.rel)
		if err != nil || got != tt.want {
			t.Errorf("artifactURL(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
		}
	}
	if err := c.CheckArtifactRoot("/var/mlruns/1"); err == nil || !strings.Contains(err.Error(), "--serve-artifacts") {
		t.Errorf("a local artifact root must be refused with advice, got %v", err)
	}
}

func TestParseSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		attrs   map[string]cty.Value
		server  map[string]cty.Value
		env     map[string]string
		want    Settings
		wantErr string
	}{
		{
			name: "env URI and defaults", env: map[string]string{"MLFLOW_TRACKING_URI": "http://h:1"},
			want: Settings{TrackingURI: "http://h:1", Experiment: "evalplan", RunName: DefaultRunName, Tags: map[string]string{}, KeepRunning: true},
		},
		{
			name: "block wins",
			attrs: map[string]cty.Value{
				"tracking_uri": cty.StringVal("http://b:2"), "experiment": cty.StringVal("e"),
				"run_name": cty.StringVal("{model}"), "tags": cty.ObjectVal(map[string]cty.Value{"team": cty.StringVal("x"), "n": cty.NumberIntVal(3)}),
			},
			env:  map[string]string{"MLFLOW_TRACKING_URI": "http://h:1"},
			want: Settings{TrackingURI: "http://b:2", Experiment: "e", RunName: "{model}", Tags: map[string]string{"team": "x", "n": "3"}, KeepRunning: true},
		},
		{
			name: "managed default port", server: map[string]cty.Value{"managed": cty.True},
			want: Settings{TrackingURI: "http://127.0.0.1:5000", Experiment: "evalplan", RunName: DefaultRunName, Tags: map[string]string{}, Managed: true, Port: 5000, KeepRunning: true},
		},
		{
			name: "managed port", server: map[string]cty.Value{"managed": cty.True, "port": cty.NumberIntVal(5123), "keep_running": cty.False},
			want: Settings{TrackingURI: "http://127.0.0.1:5123", Experiment: "evalplan", RunName: DefaultRunName, Tags: map[string]string{}, Managed: true, Port: 5123},
		},
		{
			name: "managed port from URI", attrs: map[string]cty.Value{"tracking_uri": cty.StringVal("http://localhost:5124")}, server: map[string]cty.Value{"managed": cty.True},
			want: Settings{TrackingURI: "http://localhost:5124", Experiment: "evalplan", RunName: DefaultRunName, Tags: map[string]string{}, Managed: true, Port: 5124, KeepRunning: true},
		},
		{name: "no URI", wantErr: "no tracking URI"},
		{name: "managed remote", attrs: map[string]cty.Value{"tracking_uri": cty.StringVal("http://mlflow.example:80")}, server: map[string]cty.Value{"managed": cty.True}, wantErr: "not a loopback address"},
		{name: "port clash", attrs: map[string]cty.Value{"tracking_uri": cty.StringVal("http://127.0.0.1:1")}, server: map[string]cty.Value{"managed": cty.True, "port": cty.NumberIntVal(2)}, wantErr: "set one of them"},
		{name: "bad port", server: map[string]cty.Value{"managed": cty.True, "port": cty.NumberIntVal(70000)}, wantErr: "between 1 and 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &config.Exporter{Type: "mlflow", Name: "team", Attrs: tt.attrs, Server: tt.server}
			got, err := ParseSettings(x, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSettings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthHeader(t *testing.T) {
	tests := []struct {
		auth Auth
		want string
	}{
		{Auth{}, ""},
		{Auth{Token: "tok"}, "Bearer tok"},
		{Auth{Token: "tok", Username: "u", Password: "p"}, "Basic dTpw"},
	}
	for _, tt := range tests {
		c, err := NewClient("http://127.0.0.1:1", tt.auth, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.auth != tt.want {
			t.Errorf("%+v: header %q, want %q", tt.auth, c.auth, tt.want)
		}
	}
}

func TestRunName(t *testing.T) {
	got := runName(DefaultRunName, map[string]string{"benchmark": "native.gsm8k", "endpoint": "qwen"})
	if got != "native.gsm8k · qwen" {
		t.Errorf("runName = %q", got)
	}
}

// TestWriteRequestsTable: a container run without per-sample output gets a table of its
// request journal's prompt/response pairs, one row a request, unparsable lines skipped.
func TestWriteRequestsTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	journal := `{"seq":1,"path":"/v1/chat/completions","request":{"model":"m","messages":[{"role":"user","content":"2+2?"}]},"reply":"4","status":200,"latency_ms":12.5}
{"seq":2,"path":"/v1/completions","request":{"model":"m","prompt":"Q: 3+3\nA:"},"status":502,"error":"HTTP 500 after 3 attempts","latency_ms":3}
{"seq":3,"path":"/v1/comp`
	if err := os.WriteFile(path, []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	n, err := WriteRequestsTable(&b, path)
	if err != nil || n != 2 {
		t.Fatalf("WriteRequestsTable = %d, %v; want 2 rows", n, err)
	}
	var got struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	want := [][]any{
		{1.0, `[{"role":"user","content":"2+2?"}]`, "4", "", 12.5},
		{2.0, "Q: 3+3\nA:", "", "HTTP 500 after 3 attempts", 3.0},
	}
	if diff := cmp.Diff(want, got.Data); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
