package plan

import (
	"maps"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
)

// Needs is what applying a plan requires from the machine and the network: the endpoints it
// talks to, the servers it starts, the images it pulls, the datasets it reads, the exporters
// it sends to. Providers read it in Check (Checker) to say whether each is there. Every list
// is sorted by name.
type Needs struct {
	// Endpoints are the external endpoints (no vllm block) apply talks to: those the plan
	// fingerprinted (apply probes them again before any run) and those that runs with work
	// to do, or their judges, send requests to.
	Endpoints []*config.Endpoint
	// Services are the managed endpoints (vllm block) apply starts: the plan's services and
	// the managed judges of runs with work.
	Services []*config.Endpoint
	// Images are the container images that runs with work use.
	Images []ImageNeed
	// Datasets are the datasets that runs with work read (a native task's canonical source
	// is named after its task, as in dataset.native.gsm8k).
	Datasets []*config.Dataset
	// Exporters are the exporter blocks that planned exports send to.
	Exporters []*config.Exporter
	// Runners counts the runs with work by runner kind ("native", "container").
	Runners map[string]int
	// NoRefresh asks checkers not to probe endpoints (`status -refresh=false`): they report
	// them as not probed. Local facts (files, binaries, daemons) are still checked.
	NoRefresh bool
}

// ImageNeed is one container image and the runs with work that use it.
type ImageNeed struct {
	// Image is the reference apply pulls, pinned by digest (Action.Image).
	Image string
	Runs  []string
}

// hasWork reports whether an action runs its benchmark (and so talks to its endpoint).
func hasWork(a *Action) bool {
	switch a.Action {
	case ActionRun, ActionRerun, ActionReplace, ActionResume:
		return true
	}
	return false
}

// NeedsOf is what applying p requires, read from the plan document and the configuration
// it was made from; cat resolves benchmark names to catalog tasks (a native task's dataset,
// a task's runner kind).
func NeedsOf(cfg *config.Config, cat Catalog, p *Plan) *Needs {
	b := needsBuilder{cfg: cfg, cat: cat, endpoints: map[string]*config.Endpoint{}, services: map[string]*config.Endpoint{},
		images: map[string][]string{}, datasets: map[string]*config.Dataset{}, exporters: map[string]*config.Exporter{},
		runners: map[string]int{}}
	for name := range p.Fingerprints {
		b.endpoint(name)
	}
	for _, s := range p.Services {
		b.managedOrExternal(strings.TrimPrefix(s.Address, "endpoint."))
	}
	for _, a := range p.Actions {
		switch {
		case a.Action == ActionExport:
			if key, _, ok := ParseExportAddr(a.Address); ok && cfg.Exporters[key] != nil {
				b.exporters[key] = cfg.Exporters[key]
			}
		case hasWork(a):
			b.run(a)
		}
	}
	return b.needs()
}

type needsBuilder struct {
	cfg       *config.Config
	cat       Catalog
	endpoints map[string]*config.Endpoint // external
	services  map[string]*config.Endpoint // managed
	images    map[string][]string         // image → runs
	datasets  map[string]*config.Dataset
	exporters map[string]*config.Exporter
	runners   map[string]int
}

// endpoint records an external endpoint apply probes; managed ones are started only for
// work (managedOrExternal), so a fingerprinted managed endpoint is not recorded here.
func (b *needsBuilder) endpoint(name string) {
	if ep := b.cfg.Endpoints[name]; ep != nil && ep.VLLM == nil {
		b.endpoints[name] = ep
	}
}

// managedOrExternal records an endpoint that work talks to: a service apply starts, or an
// external endpoint.
func (b *needsBuilder) managedOrExternal(name string) {
	ep := b.cfg.Endpoints[name]
	switch {
	case ep == nil:
	case ep.VLLM != nil:
		b.services[name] = ep
	default:
		b.endpoints[name] = ep
	}
}

// run records what one run with work needs: its endpoint and judge, image, datasets and
// runner kind.
func (b *needsBuilder) run(a *Action) {
	b.managedOrExternal(a.Endpoint)
	if a.Image != "" {
		b.images[a.Image] = append(b.images[a.Image], a.Address)
	}
	name := benchmarkName(a)
	var ov *config.Override
	if s := b.cfg.Suites[a.Suite]; s != nil {
		ov = s.Overrides[a.Benchmark]
		if ov == nil {
			ov = s.Overrides[name]
		}
	}
	if ov != nil && ov.Judge != "" {
		b.managedOrExternal(ov.Judge)
	}
	var main *config.Dataset
	if user, ok := strings.CutPrefix(a.Benchmark, "task."); ok {
		b.runners["native"]++
		if t := b.cfg.Tasks[user]; t != nil {
			main = b.cfg.Datasets[t.Dataset]
			b.dataset(b.cfg.Datasets[t.FewShotDataset])
		}
	} else if t := b.task(a, name); t != nil {
		b.runners[harnessKind(t)]++
		if t.Native != nil {
			main = nativeDataset(t)
		}
	}
	if ov != nil && ov.Dataset != "" {
		main = b.cfg.Datasets[ov.Dataset]
	}
	b.dataset(main)
}

// task is the catalog task of a run, nil when the catalog does not know it.
func (b *needsBuilder) task(a *Action, name string) *schema.Task {
	if b.cat == nil {
		return nil
	}
	if name == "" {
		c, err := b.cat.Lookup(a.Benchmark)
		if err != nil {
			return nil
		}
		name = c
	}
	t, _ := b.cat.Get(name)
	return t
}

func (b *needsBuilder) dataset(ds *config.Dataset) {
	if ds != nil {
		b.datasets[ds.Name] = ds
	}
}

// benchmarkName is the catalog name a run's identity inputs record ("native.gsm8k"), "" when
// they do not say.
func benchmarkName(a *Action) string {
	bm, _ := a.Inputs["benchmark"].(map[string]any)
	name, _ := bm["name"].(string)
	return name
}

func (b *needsBuilder) needs() *Needs {
	n := &Needs{
		Endpoints: sortedValues(b.endpoints),
		Services:  sortedValues(b.services),
		Datasets:  sortedValues(b.datasets),
		Exporters: sortedValues(b.exporters),
		Runners:   b.runners,
	}
	for _, img := range slices.Sorted(maps.Keys(b.images)) {
		runs := b.images[img]
		slices.Sort(runs)
		n.Images = append(n.Images, ImageNeed{Image: img, Runs: runs})
	}
	return n
}

func sortedValues[T any](m map[string]*T) []*T {
	out := make([]*T, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
