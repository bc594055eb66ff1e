package scaffold_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/evalplan/evalplan/schema/scaffold"
	"github.com/google/go-cmp/cmp"
)

// update rewrites testdata/*.hcl from Generate: go test ./schema/scaffold -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func ptr[T any](v T) *T { return &v }

func catalog(t *testing.T) *schema.Catalog {
	t.Helper()
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// load writes src as eval.hcl in a fresh directory and loads it; any diagnostic, warnings
// included, fails the test.
func load(t *testing.T, cat *schema.Catalog, src []byte, environ []string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "eval.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(dir, config.LoadOptions{Catalog: cat, Environ: environ})
	if len(diags) > 0 {
		t.Fatalf("the generated file does not load cleanly:\n%s\n%s", diags.Error(), src)
	}
	return cfg
}

func TestGenerate(t *testing.T) {
	cat := catalog(t)
	tests := []struct {
		name    string
		answers scaffold.Answers
	}{
		{"minimal", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://127.0.0.1:8000/v1", Model: "Qwen/Qwen2.5-7B-Instruct"},
			Suite:    scaffold.Suite{Preset: "quick"},
		}},
		{"external_full", scaffold.Answers{
			Endpoint: scaffold.Endpoint{
				Name: "ref", URL: "https://api.example.com/v1/", Model: "gpt-4o-mini",
				Type: "completions", APIKeyEnv: "OPENAI_API_KEY",
			},
			Suite: scaffold.Suite{
				Categories:   []string{"math", "code-generation", "math"},
				Benchmarks:   []string{"bigcode-evaluation-harness.humaneval", "native.gsm8k"},
				LimitSamples: ptr(0.25), Temperature: ptr(0.7), Parallelism: ptr(32),
			},
			MLflow:     &scaffold.MLflow{TrackingURI: "https://mlflow.example.com", Experiment: "nightly"},
			Local:      true,
			CheckFloor: ptr(0.5),
		}},
		{"vllm", scaffold.Answers{
			Endpoint: scaffold.Endpoint{
				Model: "meta-llama/Llama-3.1-8B-Instruct",
				VLLM:  &scaffold.VLLM{Runtime: "process", TensorParallelSize: 2, GPUMemoryUtilization: 0.85, MaxModelLen: 8192},
			},
			Suite:  scaffold.Suite{Preset: "math", Benchmarks: []string{"simple_evals.mmlu_pro"}, LimitSamples: ptr(200.0), Temperature: ptr(0.0)},
			MLflow: &scaffold.MLflow{Managed: true},
		}},
		{"vllm_defaults", scaffold.Answers{
			Endpoint: scaffold.Endpoint{Model: "Qwen/Qwen2.5-0.5B", VLLM: &scaffold.VLLM{}},
			Suite:    scaffold.Suite{Categories: []string{"safety_security"}},
		}},
		{"venv", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://127.0.0.1:8000/v1", Model: "m"},
			Suite: scaffold.Suite{Preset: "quick", Benchmarks: []string{"simple_evals.mmlu", "lm-evaluation-harness.ifeval", "native.gsm8k"},
				Runtime: "venv"},
		}},
		{"odd_strings", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://host:8000/v1", Model: "my \"model\" ${var.x} %{if true}\\n"},
			Suite:    scaffold.Suite{Preset: "quick"},
			MLflow:   &scaffold.MLflow{TrackingURI: "http://mlflow:5000", Experiment: "exp ${x}"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.answers
			if err := a.Resolve(cat); err != nil {
				t.Fatal(err)
			}
			got, err := scaffold.Generate(&a)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".hcl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Generate mismatch (-%s +got); run with -update to accept:\n%s", golden, diff)
			}
			cfg := load(t, cat, got, []string{"OPENAI_API_KEY=sk-test"})
			e := cfg.Endpoints[a.Endpoint.Name]
			if e == nil {
				t.Fatalf("no endpoint %q in the loaded file", a.Endpoint.Name)
			}
			// Values round-trip exactly, whatever characters they hold.
			if e.Model != tt.answers.Endpoint.Model || e.URL != a.Endpoint.URL {
				t.Errorf("endpoint model, url = %q, %q; want %q, %q", e.Model, e.URL, tt.answers.Endpoint.Model, a.Endpoint.URL)
			}
			if a.Endpoint.APIKeyEnv != "" && e.APIKey != "sk-test" {
				t.Errorf("api_key = %q, want the value of $%s", e.APIKey, a.Endpoint.APIKeyEnv)
			}
			// The harness runtime round-trips: docker is the default, left unwritten.
			if got := config.RunRuntime(cfg.Suites[scaffold.SuiteName], nil); got != a.Suite.Runtime {
				t.Errorf("suite runtime = %q, want %q", got, a.Suite.Runtime)
			}
			if m := a.MLflow; m != nil {
				x := cfg.Exporters["mlflow.tracking"]
				if got := x.Attrs["experiment"].AsString(); got != m.Experiment {
					t.Errorf("experiment = %q, want %q", got, m.Experiment)
				}
			}
		})
	}
}

// TestGenerateNeverWritesTheKey: the file names the variable; its value appears nowhere.
func TestGenerateNeverWritesTheKey(t *testing.T) {
	a := scaffold.Answers{
		Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m", APIKeyEnv: "MY_KEY"},
		Suite:    scaffold.Suite{Preset: "quick"},
	}
	if err := a.Resolve(catalog(t)); err != nil {
		t.Fatal(err)
	}
	src, err := scaffold.Generate(&a)
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, catalog(t), src, []string{"MY_KEY=secret-value-123"})
	if cfg.Endpoints["m"].APIKey != "secret-value-123" {
		t.Errorf("api_key does not read $MY_KEY")
	}
	if want := `api_key = env("MY_KEY")`; !strings.Contains(string(src), want) {
		t.Errorf("generated file lacks %s:\n%s", want, src)
	}
}

func TestResolveErrors(t *testing.T) {
	cat := catalog(t)
	tests := []struct {
		name    string
		answers scaffold.Answers
		fields  []string
	}{
		{"nothing", scaffold.Answers{}, []string{"model", "url", "selection"}},
		{"bad_values", scaffold.Answers{
			Endpoint: scaffold.Endpoint{Name: "1x", URL: "ftp://h/v1", Model: "m", Type: "embedding", APIKeyEnv: "sk-abc123"},
			Suite: scaffold.Suite{Preset: "nope", Categories: []string{"cooking"}, Benchmarks: []string{"mmlu_prox"},
				LimitSamples: ptr(1.5), Temperature: ptr(-1.0), Parallelism: ptr(0)},
			MLflow:     &scaffold.MLflow{TrackingURI: "mlflow:5000"},
			CheckFloor: ptr(-0.1),
		}, []string{"name", "type", "url", "api-key-env", "preset", "categories", "benchmarks",
			"limit-samples", "temperature", "parallelism", "mlflow", "check-floor"}},
		{"url_without_v1", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://127.0.0.1:8000", Model: "m"},
			Suite:    scaffold.Suite{Preset: "quick"},
		}, []string{"url"}},
		{"incompatible_benchmark", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m", Type: "chat"},
			Suite:    scaffold.Suite{Benchmarks: []string{"bigcode-evaluation-harness.humaneval", "lm-evaluation-harness.adlr_commonsense_qa_7_shot"}},
		}, []string{"benchmarks", "benchmarks"}},
		{"url_and_vllm", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m", APIKeyEnv: "K",
				VLLM: &scaffold.VLLM{Runtime: "podman", TensorParallelSize: -1, GPUMemoryUtilization: 1.5, MaxModelLen: -3}},
			Suite: scaffold.Suite{Preset: "quick"},
		}, []string{"url", "api-key-env", "runtime", "tensor-parallel-size", "gpu-memory-utilization", "max-model-len"}},
		{"bad_harness_runtime", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m"},
			Suite:    scaffold.Suite{Preset: "quick", Runtime: "conda"},
		}, []string{"harness-runtime"}},
		{"managed_remote_mlflow", scaffold.Answers{
			Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m"},
			Suite:    scaffold.Suite{Preset: "quick"},
			MLflow:   &scaffold.MLflow{TrackingURI: "http://mlflow.example.com:5000", Managed: true},
		}, []string{"mlflow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.answers.Resolve(cat)
			var fe scaffold.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Resolve = %v, want FieldErrors", err)
			}
			var fields []string
			for _, e := range fe {
				fields = append(fields, e.Field)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("fields with errors (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

// TestResolveKeepsKeyOutOfErrors: a key pasted where the variable's name belongs is not
// echoed in the error.
func TestResolveKeepsKeyOutOfErrors(t *testing.T) {
	a := scaffold.Answers{
		Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m", APIKeyEnv: "sk-proj-SECRET"},
		Suite:    scaffold.Suite{Preset: "quick"},
	}
	err := a.Resolve(catalog(t))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Resolve = %v; want an error that does not show the value", err)
	}
}

func TestEndpointName(t *testing.T) {
	tests := map[string]string{
		"Qwen/Qwen2.5-7B-Instruct":      "qwen2_5_7b_instruct",
		"gpt-4o-mini":                   "gpt_4o_mini",
		"meta-llama/Llama-3.1-8B--Inst": "llama_3_1_8b_inst",
		"7b":                            "m7b",
		"///":                           "model",
		"--x--":                         "x",
	}
	for model, want := range tests {
		if got := scaffold.EndpointName(model); got != want {
			t.Errorf("EndpointName(%q) = %q, want %q", model, got, want)
		}
		if err := scaffold.ValidName(scaffold.EndpointName(model)); err != nil {
			t.Errorf("EndpointName(%q) is not a valid name: %v", model, err)
		}
	}
}

func TestCompatible(t *testing.T) {
	cat := catalog(t)
	for _, typ := range []string{"chat", "completions"} {
		tasks := scaffold.Compatible(cat, typ)
		if len(tasks) == 0 {
			t.Fatalf("Compatible(%s) is empty", typ)
		}
		for _, task := range tasks {
			if ok, why := task.Supports(typ, nil); !ok {
				t.Errorf("Compatible(%s) offers %s, which %s", typ, task.Name, why)
			}
		}
	}
}

// TestCheckFloor evaluates the generated check against recorded results: it passes when
// every score is at the floor or above, fails when one is below.
func TestCheckFloor(t *testing.T) {
	cat := catalog(t)
	a := scaffold.Answers{
		Endpoint:   scaffold.Endpoint{Name: "e", URL: "http://h/v1", Model: "m"},
		Suite:      scaffold.Suite{Benchmarks: []string{"native.gsm8k", "native.mmlu"}},
		CheckFloor: ptr(0.5),
	}
	if err := a.Resolve(cat); err != nil {
		t.Fatal(err)
	}
	src, err := scaffold.Generate(&a)
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, cat, src, nil)
	check := cfg.Checks["score_floor"]
	tests := []struct {
		name   string
		scores map[string]float64
		want   string
	}{
		{"nothing_recorded", nil, plan.CheckPass},
		{"all_above", map[string]float64{"native.gsm8k": 0.9, "native.mmlu": 0.5}, plan.CheckPass},
		{"one_below", map[string]float64{"native.gsm8k": 0.9, "native.mmlu": 0.49}, plan.CheckFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := state.New("test")
			for b, s := range tt.scores {
				st.Resources[addrs.Run{Suite: scaffold.SuiteName, Benchmark: b, Endpoint: "e"}.String()] = &state.Resource{
					Type: "run", Status: state.StatusComplete, Identity: "id-" + b,
					Result: &result.Result{Score: s, Primary: "acc", N: 10},
				}
			}
			got := plan.EvalCheck(cfg, st, check, nil, false)
			if got.Status != tt.want {
				t.Errorf("check status = %s (%s), want %s", got.Status, got.Message, tt.want)
			}
		})
	}
}

// TestResolveHarnessRuntime: docker is the default; venv is refused, naming the harnesses,
// when the selection has benchmarks (that the endpoint can serve) of a harness without Python
// packages.
func TestResolveHarnessRuntime(t *testing.T) {
	cat := catalog(t)
	tests := []struct {
		name    string
		typ     string
		suite   scaffold.Suite
		wantRT  string
		wantErr string
	}{
		{name: "default", typ: "chat", suite: scaffold.Suite{Preset: "quick"}, wantRT: "docker"},
		{name: "venv preset", typ: "chat", suite: scaffold.Suite{Preset: "language_models", Runtime: "venv"}, wantRT: "venv"},
		{name: "venv native only", typ: "chat", suite: scaffold.Suite{Categories: []string{"math"}, Runtime: "venv"}, wantRT: "venv"},
		{name: "venv one without packages", typ: "completions",
			suite: scaffold.Suite{Benchmarks: []string{"codec.ifeval", "lm-evaluation-harness.gsm8k"}, Runtime: "venv"}, wantRT: "venv",
			wantErr: "harness-runtime: venv runs a harness from its Python packages, and the selection has harnesses without any: codec (1 benchmark, codec.ifeval); choose docker, or leave their benchmarks out (`evalplan catalog show NAME` says which runtimes a benchmark has)"},
		{name: "venv comprehensive", typ: "completions", suite: scaffold.Suite{Preset: "comprehensive", Runtime: "venv"}, wantRT: "venv",
			wantErr: "harness-runtime: venv runs a harness from its Python packages, and the selection has harnesses without any: codec (27 benchmarks, e.g. codec.aime_2024), nemo_skills (1 benchmark, nemo_skills.ns_ruler); choose docker, or leave their benchmarks out (`evalplan catalog show NAME` says which runtimes a benchmark has)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := scaffold.Answers{Endpoint: scaffold.Endpoint{URL: "http://h/v1", Model: "m", Type: tt.typ}, Suite: tt.suite}
			err := a.Resolve(cat)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("Resolve = %q\nwant %q", got, tt.wantErr)
			}
			if a.Suite.Runtime != tt.wantRT {
				t.Errorf("runtime = %q, want %q", a.Suite.Runtime, tt.wantRT)
			}
		})
	}
}
