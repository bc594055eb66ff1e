package plan

import (
	"fmt"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// needsCatalog knows one native and one container task.
type needsCatalog map[string]*schema.Task

func (c needsCatalog) Get(name string) (*schema.Task, bool) { t, ok := c[name]; return t, ok }
func (c needsCatalog) Lookup(name string) (string, error) {
	for full := range c {
		if full == name || full == "native."+name || full == "simple_evals."+name {
			return full, nil
		}
	}
	return "", fmt.Errorf("unknown %s", name)
}
func (c needsCatalog) Preset(string) ([]string, error)  { return nil, nil }
func (c needsCatalog) InCategory(string) []*schema.Task { return nil }

// needsSummary is Needs by name, for comparison.
type needsSummary struct {
	Endpoints, Services, Datasets, Exporters []string
	Images                                   []ImageNeed
	Runners                                  map[string]int
}

func summarizeNeeds(n *Needs) needsSummary {
	var s needsSummary
	for _, ep := range n.Endpoints {
		s.Endpoints = append(s.Endpoints, ep.Name)
	}
	for _, ep := range n.Services {
		s.Services = append(s.Services, ep.Name)
	}
	for _, ds := range n.Datasets {
		s.Datasets = append(s.Datasets, ds.Name)
	}
	for _, x := range n.Exporters {
		s.Exporters = append(s.Exporters, x.Type+"."+x.Name)
	}
	s.Images, s.Runners = n.Images, n.Runners
	return s
}

func TestNeedsOf(t *testing.T) {
	cat := needsCatalog{
		"native.gsm8k":      {Name: "native.gsm8k", Harness: "native", Native: &schema.Native{Source: "https://example.com/gsm8k.jsonl"}},
		"simple_evals.mmlu": {Name: "simple_evals.mmlu", Harness: "simple_evals", Image: "nvcr.io/x/simple-evals"},
	}
	ext := &config.Endpoint{Name: "ext", URL: "http://127.0.0.1:1/v1"}
	idle := &config.Endpoint{Name: "idle", URL: "http://127.0.0.1:2/v1"}
	judge := &config.Endpoint{Name: "judge", VLLM: &config.VLLM{Runtime: "process"}}
	vllm := &config.Endpoint{Name: "vllm", VLLM: &config.VLLM{Runtime: "process"}}
	cfg := &config.Config{
		Endpoints: map[string]*config.Endpoint{"ext": ext, "idle": idle, "judge": judge, "vllm": vllm},
		Datasets: map[string]*config.Dataset{
			"qa": {Name: "qa", Source: "qa.jsonl"}, "shots": {Name: "shots", Source: "shots.jsonl"},
			"mine": {Name: "mine", Source: "mine.jsonl"}, "unused": {Name: "unused", Source: "unused.jsonl"},
		},
		Tasks: map[string]*config.Task{"qa": {Name: "qa", Dataset: "qa", FewShotDataset: "shots"}},
		Suites: map[string]*config.Suite{
			"s": {Name: "s", Overrides: map[string]*config.Override{
				"gsm8k": {Name: "gsm8k", Judge: "judge"},
			}},
			"o": {Name: "o", Overrides: map[string]*config.Override{
				"native.gsm8k": {Name: "native.gsm8k", Dataset: "mine"},
			}},
		},
		Exporters: map[string]*config.Exporter{
			"mlflow.team": {Type: "mlflow", Name: "team"},
			"local.all":   {Type: "local", Name: "all"},
		},
	}
	bench := func(name string) Inputs { return Inputs{"benchmark": map[string]any{"name": name}} }
	run := func(suite, b, ep string) string { return RunAddr(suite, b, ep) }
	tests := []struct {
		name string
		p    *Plan
		want needsSummary
	}{
		{
			name: "nothing to do: only the endpoints refresh probes",
			p: &Plan{
				Fingerprints: map[string]Fingerprint{"ext": {}, "idle": {}, "vllm": {}},
				Actions: []*Action{
					{Address: run("s", "gsm8k", "ext"), Action: ActionNone, Suite: "s", Benchmark: "gsm8k", Endpoint: "ext", Inputs: bench("native.gsm8k")},
					{Address: run("s", "mmlu", "vllm"), Action: ActionReuse, Suite: "s", Benchmark: "mmlu", Endpoint: "vllm", Image: "img@sha256:1"},
				},
			},
			want: needsSummary{Endpoints: []string{"ext", "idle"}, Runners: map[string]int{}},
		},
		{
			name: "work: services, judges, images, datasets, exporters, runners",
			p: &Plan{
				Fingerprints: map[string]Fingerprint{"ext": {}, "vllm": {}, "judge": {}},
				Services:     []ServiceAction{{Address: "endpoint.vllm", Start: true, Stop: true}},
				Actions: []*Action{
					{Address: run("s", "gsm8k", "ext"), Action: ActionRun, Suite: "s", Benchmark: "gsm8k", Endpoint: "ext", Inputs: bench("native.gsm8k")},
					{Address: run("s", "mmlu", "vllm"), Action: ActionResume, Suite: "s", Benchmark: "mmlu", Endpoint: "vllm", Image: "img@sha256:1", Inputs: bench("simple_evals.mmlu")},
					{Address: run("s", "mmlu", "ext"), Action: ActionRerun, Suite: "s", Benchmark: "mmlu", Endpoint: "ext", Image: "img@sha256:1", Inputs: bench("simple_evals.mmlu")},
					{Address: run("o", "native.gsm8k", "ext"), Action: ActionReplace, Suite: "o", Benchmark: "native.gsm8k", Endpoint: "ext", Inputs: bench("native.gsm8k")},
					{Address: run("s", "task.qa", "ext"), Action: ActionRun, Suite: "s", Benchmark: "task.qa", Endpoint: "ext", Inputs: bench("task.qa")},
					{Address: run("s", "old", "ext"), Action: ActionForget},
					{Address: ExportAddr("mlflow.team", run("s", "gsm8k", "ext")), Action: ActionExport},
				},
			},
			want: needsSummary{
				Endpoints: []string{"ext"},
				Services:  []string{"judge", "vllm"},
				Datasets:  []string{"mine", "native.gsm8k", "qa", "shots"},
				Exporters: []string{"mlflow.team"},
				Images:    []ImageNeed{{Image: "img@sha256:1", Runs: []string{run("s", "mmlu", "ext"), run("s", "mmlu", "vllm")}}},
				Runners:   map[string]int{"native": 3, "container": 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarizeNeeds(NeedsOf(cfg, cat, tt.p))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NeedsOf (-want +got):\n%s", diff)
			}
		})
	}
}
