package container

import (
	"os"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/schema"
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
			Metrics: map[string]result.Metric{"score_micro": gpqa}, // groups and tasks hold the same entry once each
		}},
		{"results_nested.yaml", "mmlu", &result.Result{ // groups first; the primary score is the one named like its metric
			Score: 0.61, Primary: "acc",
			Metrics: map[string]result.Metric{"acc": metric(0.61, nil, 0)},
			Subscores: map[string]map[string]result.Metric{
				"mmlu/stem": {"acc": metric(0.52, ptr(0.02), 0)},
				"mmlu_stem": {"acc": metric(0.52, nil, 0)},
			},
		}},
		{"results_nested.yaml", "mmlu_stem", &result.Result{ // a task when no group has the name
			Score: 0.52, Primary: "acc",
			Metrics: map[string]result.Metric{"acc": metric(0.52, nil, 0)},
			Subscores: map[string]map[string]result.Metric{
				"mmlu":       {"acc": metric(0.61, nil, 0)},
				"mmlu/stem":  {"acc": metric(0.52, ptr(0.02), 0)},
				"tasks/mmlu": {"acc_macro": metric(0.6, ptr(0.03), 200), "acc": metric(0.61, ptr(0.0345), 200)},
			},
		}},
		// Real results.yml of nvidia-simple-evals 26.03: groups.mmlu holds the headline, whose
		// score "micro" (0.3833) comes after "macro" in the file; tasks are categories.
		{"simple_evals.mmlu.results.yml", "mmlu", &result.Result{
			Score: 0.38333333333333336, Primary: "score_micro",
			Metrics: map[string]result.Metric{
				"score_macro": metric(0.23, nil, 0),
				"score_micro": metric(0.38333333333333336, ptr(0.044569734699312843), 0),
			},
			Subscores: map[string]map[string]result.Metric{
				"other": {"score_micro": metric(0, ptr(0.0), 0)},
				"stem":  {"score_micro": metric(0.46, ptr(0.05009082659620333), 0)},
			},
		}},
		{"lm-evaluation-harness.gsm8k.results.yml", "gsm8k", &result.Result{
			Score: 0.6145833333333334, Primary: "exact_match__flexible-extract",
			Metrics: map[string]result.Metric{
				"exact_match__flexible-extract": metric(0.6145833333333334, ptr(0.0499337097109465), 0),
				"exact_match__strict-match":     metric(0.3333333333333333, ptr(0.04836508334066742), 0),
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
		{"no results", "results: {}\n", "neither results.groups nor results.tasks"},
		{"no such task", "results:\n  groups: {}\n", `no entry for task "t" in results.groups (none) or results.tasks (none)`},
		{"another task only", "results:\n  tasks:\n    other: {metrics: {m: {scores: {m: {value: 1}}}}}\n", `no entry for task "t" in results.groups (none) or results.tasks (other)`},
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

// TestParseResultsReal reads the results.yml files of real NeMo Evaluator 26.03 containers
// (nemo-evaluator 0.2.8) by the names the catalog gives their tasks.
func TestParseResultsReal(t *testing.T) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Score     float64
		Primary   string
		Subscores int
	}
	tests := []struct {
		file, task string
		want       summary
	}{
		{"simple_evals.mmlu.results.yml", "simple_evals.mmlu", summary{0.38333333333333336, "score_micro", 2}},
		// NeMo's mmlu runs lm-eval's group mmlu_str (params.task); its 57 subjects are subscores.
		{"lm-evaluation-harness.mmlu.results.yml", "lm-evaluation-harness.mmlu", summary{0.5087719298245614, "exact_match", 57}},
		{"lm-evaluation-harness.gsm8k.results.yml", "lm-evaluation-harness.gsm8k", summary{0.6145833333333334, "exact_match__flexible-extract", 0}},
		{"lm-evaluation-harness.gsm8k_cot_llama.results.yml", "lm-evaluation-harness.gsm8k_cot_llama", summary{0.6, "exact_match__flexible-extract", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.task, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			task, ok := cat.Get(tt.task)
			if !ok {
				t.Fatalf("%s is not in the catalog", tt.task)
			}
			got, err := ParseResults(b, TaskNames(task)...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summary{got.Score, got.Primary, len(got.Subscores)}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Without the catalog's params.task, lm-eval's only group mmlu_str is found by its prefix.
	b, err := os.ReadFile("testdata/lm-evaluation-harness.mmlu.results.yml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseResults(b, "mmlu")
	if err != nil || got.Score != 0.5087719298245614 {
		t.Errorf("ParseResults(mmlu) = %v, %v; want the group mmlu_str's 0.5088", got, err)
	}
}
