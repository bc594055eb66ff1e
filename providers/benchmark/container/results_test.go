package container

import (
	"os"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func metric(v float64, se *float64, n int) result.Metric {
	m := result.Metric{Value: v, N: n, Stderr: se}
	if se != nil {
		m.CI95 = &[2]float64{v - 1.96**se, v + 1.96**se}
	}
	return m
}

func ptr[T any](v T) *T { return &v }

func TestParseResults(t *testing.T) {
	gpqa := metric(0.4, ptr(0.16329931618554522), 0)
	tests := []struct {
		file string
		task string
		want *result.Result
	}{
		{"results_example.yaml", "gpqa_diamond", &result.Result{
			Score: 0.4, Primary: "score_micro",
			Metrics:   map[string]result.Metric{"score_micro": gpqa},
			Subscores: map[string]map[string]result.Metric{"gpqa_diamond": {"score_micro": gpqa}},
		}},
		{"results_nested.yaml", "mmlu", &result.Result{
			Score: 0.6, Primary: "acc_macro", N: 200,
			Metrics: map[string]result.Metric{"acc_macro": metric(0.6, ptr(0.03), 200), "acc": metric(0.61, ptr(0.0345), 200)},
			Subscores: map[string]map[string]result.Metric{
				"mmlu":      {"acc": metric(0.61, nil, 0)},
				"mmlu/stem": {"acc": metric(0.52, ptr(0.02), 0)},
				"mmlu_stem": {"acc": metric(0.52, nil, 0)},
			},
		}},
		{"results_nested.yaml", "other_name", &result.Result{ // falls back to the first task
			Score: 0.52, Primary: "acc",
			Metrics: map[string]result.Metric{"acc": metric(0.52, nil, 0)},
			Subscores: map[string]map[string]result.Metric{
				"mmlu":       {"acc": metric(0.61, nil, 0)},
				"mmlu/stem":  {"acc": metric(0.52, ptr(0.02), 0)},
				"tasks/mmlu": {"acc_macro": metric(0.6, ptr(0.03), 200), "acc": metric(0.61, ptr(0.0345), 200)},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.task, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseResults(b, tt.task)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseResultsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"garbled", "results: [tasks: {\n  ::: not yaml", "parse results.yml"},
		{"empty", "", "empty"},
		{"no tasks", "results:\n  groups: {}\n", "no results.tasks"},
		{"no scores", "results:\n  tasks:\n    t:\n      metrics:\n        m:\n          scores:\n            s: {value: x}\n", "no numeric scores"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseResults([]byte(tt.in), "t")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
