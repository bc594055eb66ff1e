package plan

import (
	"testing"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

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
	ext := &config.Endpoint{Name: "ext", URL: "http://127.0.0.1:1/v1"}
	idle := &config.Endpoint{Name: "idle", URL: "http://127.0.0.1:2/v1"}
	judge := &config.Endpoint{Name: "judge", Server: &config.ManagedServer{Runtime: "process"}}
	vllm := &config.Endpoint{Name: "vllm", Server: &config.ManagedServer{Runtime: "process"}}
	ds := map[string]*config.Dataset{
		"qa": {Name: "qa", Source: "qa.jsonl"}, "shots": {Name: "shots", Source: "shots.jsonl"},
		"mine": {Name: "mine", Source: "mine.jsonl"}, "unused": {Name: "unused", Source: "unused.jsonl"},
		"native.gsm8k": {Name: "native.gsm8k", Source: "https://example.com/gsm8k.jsonl"},
	}
	cfg := &config.Config{
		Endpoints: map[string]*config.Endpoint{"ext": ext, "idle": idle, "judge": judge, "vllm": vllm},
		Datasets:  ds,
		Exporters: map[string]*config.Exporter{
			"mlflow.team": {Type: "mlflow", Name: "team"},
			"local.all":   {Type: "local", Name: "all"},
		},
	}
	native, container := missingRunner{"native"}, missingRunner{"container"} // runners that only have a kind
	run := func(suite, b, ep string) addrs.Run { return addrs.Run{Suite: suite, Benchmark: b, Endpoint: ep} }
	action := func(a ActionType, r *PlannedRun) *Action {
		return &Action{Address: r.Addr.String(), Action: a, Run: r}
	}
	planned := func(addr addrs.Run, rn Runner, rp RunPlan, j *config.Endpoint) *PlannedRun {
		return &PlannedRun{Addr: addr, Endpoint: cfg.Endpoints[addr.Endpoint], Judge: j, Runner: rn, Plan: rp}
	}
	gsm8k := RunPlan{Dataset: ds["native.gsm8k"]}
	mmlu := RunPlan{Image: "img@sha256:1", Pull: "img@sha256:1"}
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
					action(ActionNone, planned(run("s", "gsm8k", "ext"), native, gsm8k, nil)),
					action(ActionReuse, planned(run("s", "mmlu", "vllm"), container, mmlu, nil)),
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
					action(ActionRun, planned(run("s", "gsm8k", "ext"), native, gsm8k, judge)),
					action(ActionResume, planned(run("s", "mmlu", "vllm"), container, mmlu, nil)),
					action(ActionRerun, planned(run("s", "mmlu", "ext"), container, mmlu, nil)),
					action(ActionReplace, planned(run("o", "native.gsm8k", "ext"), native, RunPlan{Dataset: ds["mine"]}, nil)),
					action(ActionRun, planned(run("s", "task.qa", "ext"), native, RunPlan{Dataset: ds["qa"], FewShot: ds["shots"]}, nil)),
					{Address: run("s", "old", "ext").String(), Action: ActionForget},
					{Address: addrs.Export{Exporter: addrs.Exporter{Type: "mlflow", Name: "team"}, Run: run("s", "gsm8k", "ext")}.String(), Action: ActionExport},
				},
			},
			want: needsSummary{
				Endpoints: []string{"ext"},
				Services:  []string{"judge", "vllm"},
				Datasets:  []string{"mine", "native.gsm8k", "qa", "shots"},
				Exporters: []string{"mlflow.team"},
				Images:    []ImageNeed{{Image: "img@sha256:1", Runs: []string{run("s", "mmlu", "ext").String(), run("s", "mmlu", "vllm").String()}}},
				Runners:   map[string]int{"native": 3, "container": 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarizeNeeds(NeedsOf(cfg, tt.p))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NeedsOf (-want +got):\n%s", diff)
			}
		})
	}
}
