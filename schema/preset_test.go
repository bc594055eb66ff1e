package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPresets(t *testing.T) {
	c := mustLoad(t)
	want := []string{"code_generation", "comprehensive", "custom", "language_models", "math", "quick",
		"safety", "vision_language"}
	if diff := cmp.Diff(want, c.Presets()); diff != "" {
		t.Fatalf("Presets() (-want +got):\n%s", diff)
	}
	sizes := map[string]int{}
	for _, p := range c.Presets() {
		if !c.HasPreset(p) {
			t.Errorf("HasPreset(%q) = false", p)
		}
		names, err := c.Preset(p)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, n := range names {
			if _, ok := c.Get(n); !ok {
				t.Errorf("preset %s: %q is not a catalog task", p, n)
			}
			if seen[n] {
				t.Errorf("preset %s: %q twice", p, n)
			}
			seen[n] = true
		}
		sizes[p] = len(names)
	}
	wantSizes := map[string]int{"code_generation": 11, "comprehensive": 425, "custom": 0,
		"language_models": 19, "math": 10, "quick": 5, "safety": 4, "vision_language": 6}
	if diff := cmp.Diff(wantSizes, sizes); diff != "" {
		t.Errorf("preset sizes (-want +got):\n%s", diff)
	}
}

func TestPresetContents(t *testing.T) {
	c := mustLoad(t)
	tests := map[string][]string{
		"quick": {"lm-evaluation-harness.ifeval", "simple_evals.mmlu", "simple_evals.humaneval",
			"simple_evals.mgsm", "simple_evals.math_test_500"},
		"safety": {"safety_eval.aegis_v2", "safety_eval.wildguard", "garak.garak", "lm-evaluation-harness.bbq_chat"},
		"custom": {},
	}
	for name, want := range tests {
		got, err := c.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Preset(%q) (-want +got):\n%s", name, diff)
		}
	}
	all, _ := c.Preset("comprehensive")
	if diff := cmp.Diff(names(c.Tasks()), all); diff != "" {
		t.Errorf("comprehensive is not every task (-want +got):\n%s", diff)
	}
	code, _ := c.Preset("code_generation")
	for _, n := range []string{"bigcode-evaluation-harness.mbpp-completions", "bigcode-evaluation-harness.mbppplus-completions"} {
		if !strings.Contains(strings.Join(code, " "), n) {
			t.Errorf("code_generation lacks %s", n)
		}
	}
	math, _ := c.Preset("math")
	if !strings.Contains(strings.Join(math, " "), "lm-evaluation-harness.adlr_minerva_math_nemo_4_shot") {
		t.Errorf("math preset %v lacks the Minerva-Math mapping", math)
	}
	quick, _ := c.Preset("quick")
	quick[0] = "changed"
	if again, _ := c.Preset("quick"); again[0] == "changed" {
		t.Error("Preset shares its slice with the catalog")
	}
}

func TestPresetUnknown(t *testing.T) {
	c := mustLoad(t)
	if c.HasPreset("fast") {
		t.Error(`HasPreset("fast") = true`)
	}
	_, err := c.Preset("fast")
	if err == nil || !strings.Contains(err.Error(), `unknown preset "fast": the presets are code_generation, comprehensive`) {
		t.Errorf("Preset(fast) error = %v", err)
	}
	if got := c.PresetDescription("quick"); got != "Fast benchmarks for quick model validation and testing" {
		t.Errorf("PresetDescription(quick) = %q", got)
	}
	if got := c.PresetDescription("fast"); got != "" {
		t.Errorf("PresetDescription(fast) = %q", got)
	}
}
