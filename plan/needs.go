package plan

import (
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

// Needs is what applying a plan requires from the machine and the network: the endpoints it
// talks to, the servers it starts, the images it pulls, the datasets it reads, the exporters
// it sends to. Providers read it in Check (Checker) to say whether each is there. Every list
// is sorted by name.
type Needs struct {
	// Endpoints are the external endpoints (no server block) apply talks to: those the plan
	// fingerprinted (apply probes them again before any run) and those that runs with work
	// to do, or their judges, send requests to.
	Endpoints []*config.Endpoint
	// Services are the managed endpoints (vllm, sglang or nim block) apply starts: the plan's services and
	// the managed judges of runs with work.
	Services []*config.Endpoint
	// Images are the container images that runs with work use.
	Images []ImageNeed
	// Datasets are the datasets that runs with work read (a native task's canonical source
	// is named after its task, as in dataset.native.gsm8k).
	Datasets []*config.Dataset
	// Exporters are the exporter blocks that planned exports send to.
	Exporters []*config.Exporter
	// Runners counts the runs with work by runner kind (Runner.Kind).
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

// NeedsOf is what applying p requires: its planned runs say what they need (their runner's
// plan), and the configuration it was made from supplies the blocks. A plan read from a file
// has no planned runs: verify it first (Engine.VerifySaved).
func NeedsOf(cfg *config.Config, p *Plan) *Needs {
	b := needsBuilder{cfg: cfg, endpoints: map[string]*config.Endpoint{}, services: map[string]*config.Endpoint{},
		images: map[string][]string{}, datasets: map[string]*config.Dataset{}, exporters: map[string]*config.Exporter{},
		runners: map[string]int{}}
	for name := range p.Fingerprints {
		b.endpoint(name)
	}
	for _, s := range p.Services {
		if ep, err := addrs.ParseEndpoint(s.Address); err == nil {
			b.managedOrExternal(ep.Name)
		}
	}
	for _, a := range p.Actions {
		switch {
		case a.Action == ActionExport:
			if x, err := addrs.ParseExport(a.Address); err == nil && cfg.Exporters[x.Exporter.Key()] != nil {
				b.exporters[x.Exporter.Key()] = cfg.Exporters[x.Exporter.Key()]
			}
		case a.Action.runs() && a.Run != nil:
			b.run(a.Run)
		}
	}
	return b.needs()
}

type needsBuilder struct {
	cfg       *config.Config
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
	if ep := b.cfg.Endpoints[name]; ep != nil && !ep.Managed() {
		b.endpoints[name] = ep
	}
}

// managedOrExternal records an endpoint that work talks to: a service apply starts, or an
// external endpoint.
func (b *needsBuilder) managedOrExternal(name string) {
	ep := b.cfg.Endpoints[name]
	switch {
	case ep == nil:
	case ep.Managed():
		b.services[name] = ep
	default:
		b.endpoints[name] = ep
	}
}

// run records what one run with work needs: its endpoint and judge, image, datasets and
// runner kind.
func (b *needsBuilder) run(r *PlannedRun) {
	b.managedOrExternal(r.Endpoint.Name)
	if r.Judge != nil {
		b.managedOrExternal(r.Judge.Name)
	}
	// Images that Pyxis imports on a cluster's nodes are not this machine's to pull.
	if img := r.Plan.Pull; img != "" && !b.pyxis(r) {
		b.images[img] = append(b.images[img], r.Addr.String())
	}
	b.runners[string(r.Runner.Kind())]++
	b.dataset(r.Plan.Dataset)
	b.dataset(r.Plan.FewShot)
}

// pyxis reports whether r runs on an executor whose nodes run containers through Pyxis.
func (b *needsBuilder) pyxis(r *PlannedRun) bool {
	x := b.cfg.Executors[r.Executor]
	return x != nil && x.Containers == config.ContainersPyxis
}

func (b *needsBuilder) dataset(ds *config.Dataset) {
	if ds != nil {
		b.datasets[ds.Name] = ds
	}
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
