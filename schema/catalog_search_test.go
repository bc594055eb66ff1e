package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSearch(t *testing.T) {
	tests := []struct {
		name  string
		q     Query
		want  []string // exact result, when set
		count int      // result size, when want is nil
	}{
		{name: "everything", q: Query{}, count: 425},
		{name: "text name", q: Query{Text: "MATH500"}, want: []string{"native.math500"}},
		{name: "text and harness", q: Query{Text: "gsm8k", Harness: "lm-evaluation-harness"}, want: []string{
			"lm-evaluation-harness.adlr_gsm8k_cot_8_shot", "lm-evaluation-harness.gsm8k",
			"lm-evaluation-harness.gsm8k_cot_instruct", "lm-evaluation-harness.gsm8k_cot_llama",
			"lm-evaluation-harness.gsm8k_cot_zeroshot", "lm-evaluation-harness.gsm8k_cot_zeroshot_llama",
			// MGSM's descriptions mention GSM8K.
			"lm-evaluation-harness.mgsm", "lm-evaluation-harness.mgsm_cot_chat", "lm-evaluation-harness.mgsm_cot_completions"}},
		{name: "text description", q: Query{Text: "charts with visual"}, want: []string{"vlmevalkit.chartqa"}},
		{name: "harness", q: Query{Harness: "mmath"}, count: 10},
		{name: "category underscore", q: Query{Category: "vision_language"}, count: 7},
		{name: "category", q: Query{Category: "math"}, want: []string{"native.gsm8k", "native.math500"}},
		{name: "raw endpoint type", q: Query{EndpointType: "vlm"}, count: 7},
		{name: "embedding", q: Query{EndpointType: "embedding", Capability: "embedding"}, count: 20},
		{name: "logprobs", q: Query{Capability: "logprobs"}, count: 81},
		{name: "chat vision", q: Query{EndpointType: "chat", Capability: "vision", Text: "ocr"}, want: []string{
			"vlmevalkit.ocr_reasoning", "vlmevalkit.ocrbench"}},
		{name: "container", q: Query{Container: "simple-evals"}, count: 88},
		{name: "container is not harness", q: Query{Container: "simple_evals"}, want: nil},
		{name: "none", q: Query{Text: "no such benchmark anywhere"}, want: nil},
	}
	c := mustLoad(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(c.Search(tt.q))
			if tt.count > 0 {
				if len(got) != tt.count {
					t.Errorf("%d results, want %d", len(got), tt.count)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSupports(t *testing.T) {
	tests := []struct {
		task, endpointType string
		caps               []string
		ok                 bool
		why                string
	}{
		{"simple_evals.mmlu_pro", "chat", nil, true, ""},
		{"simple_evals.mmlu_pro", "", nil, true, ""},
		{"simple_evals.mmlu_pro", "completions", nil, false, "needs a chat endpoint"},
		{"lm-evaluation-harness.mmlu", "chat", nil, false, "needs a completions endpoint"},
		{"lm-evaluation-harness.arc_challenge", "completions", nil, false, "needs capability logprobs"},
		{"lm-evaluation-harness.arc_challenge", "completions", []string{"logprobs"}, true, ""},
		{"lm-evaluation-harness.arc_challenge", "chat", []string{"vision"}, false, "needs a completions endpoint and capability logprobs"},
		{"vlmevalkit.chartqa", "chat", nil, false, "needs capability vision"},
		{"vlmevalkit.chartqa", "chat", []string{"logprobs", "vision"}, true, ""},
		{"mteb.MTEB", "completions", nil, false, "needs capability embedding"},
		{"mteb.MTEB", "chat", []string{"embedding"}, true, ""},
		{"native.gsm8k", "completions", nil, true, ""},
		{"native.gsm8k", "chat", nil, true, ""},
	}
	c := mustLoad(t)
	for _, tt := range tests {
		task, ok := c.Get(tt.task)
		if !ok {
			t.Fatalf("no task %s", tt.task)
		}
		gotOK, why := task.Supports(tt.endpointType, tt.caps)
		if gotOK != tt.ok || why != tt.why {
			t.Errorf("%s.Supports(%q, %v) = %v, %q; want %v, %q", tt.task, tt.endpointType, tt.caps, gotOK, why, tt.ok, tt.why)
		}
	}
	multi := &Task{Name: "x.y", EndpointTypes: []string{"completions"}, Capabilities: []string{"logprobs", "vision"}}
	if ok, why := multi.Supports("chat", nil); ok || why != "needs a completions endpoint and capabilities logprobs, vision" {
		t.Errorf("Supports = %v, %q", ok, why)
	}
}
