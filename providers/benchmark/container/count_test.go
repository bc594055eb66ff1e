package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
)

// TestCount: n comes from lm-eval's per-sample files (summed over a group's subtasks, this
// attempt's only), else from the adapter's successful requests, else it is marked unknown.
func TestCount(t *testing.T) {
	type file struct {
		path, body string
		old        bool // written before the attempt started
	}
	// samples is an lm-eval samples file of n samples, each logged once per filter.
	samples := func(n int, filters ...string) string {
		if len(filters) == 0 {
			filters = []string{"none"}
		}
		var b strings.Builder
		for i := range n {
			for _, f := range filters {
				fmt.Fprintf(&b, "{\"doc_id\": %d, \"filter\": %q}\n", i, f)
			}
		}
		return b.String()
	}
	tests := []struct {
		name        string
		files       []file
		statsCount  int // results.yml's stats.count
		wantN       int
		wantUnknown bool
	}{
		{"lm-eval group: 57 subtasks × 2", func() []file {
			var fs []file
			for i := range 57 {
				fs = append(fs, file{path: "scripted-model/samples_mmlu_str_" + strings.Repeat("x", i+1) + "_2026-12-05T05-00-00.jsonl", body: samples(2)})
			}
			return fs
		}(), 0, 114, false},
		{"an earlier attempt's samples are not counted", []file{
			{path: "m/samples_gsm8k_new.jsonl", body: samples(96)},
			{path: "m/samples_gsm8k_old.jsonl", body: samples(50), old: true},
		}, 0, 96, false},
		{"two filters: a sample is logged twice", []file{
			{path: "m/samples_gsm8k_x.jsonl", body: samples(8, "strict-match", "flexible-extract")},
		}, 0, 8, false},
		{"samples before requests", []file{
			{path: "m/samples_gsm8k_x.jsonl", body: samples(3)},
			{path: MetricsFile, body: `{"response_stats": {"count": 10, "successful_count": 9}}`},
		}, 0, 3, false},
		{"successful requests", []file{{path: MetricsFile, body: `{"response_stats": {"count": 121, "successful_count": 120}}`}}, 0, 120, false},
		{"requests", []file{{path: MetricsFile, body: `{"response_stats": {"count": 20}}`}}, 0, 20, false},
		{"stats.count", nil, 7, 7, false},
		{"unknown", []file{{path: MetricsFile, body: `{"evaluation": {}}`}}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			started := time.Now()
			for _, f := range tt.files {
				p := filepath.Join(dir, f.path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
					t.Fatal(err)
				}
				if f.old {
					old := started.Add(-time.Hour)
					if err := os.Chtimes(p, old, old); err != nil {
						t.Fatal(err)
					}
				}
			}
			res := &result.Result{Primary: "acc", N: tt.statsCount, Metrics: map[string]result.Metric{"acc": {Value: 0.5, N: tt.statsCount}}}
			if err := count(res, dir, started, DefaultCounters()); err != nil {
				t.Fatal(err)
			}
			type got struct {
				N, MetricN int
				Unknown    bool
			}
			if diff := cmp.Diff(got{tt.wantN, tt.wantN, tt.wantUnknown}, got{res.N, res.Metrics["acc"].N, res.NUnknown}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
