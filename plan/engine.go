package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
)

// Catalog is what the engine needs from the benchmark catalog.
type Catalog interface {
	Get(qualified string) (*schema.Task, bool)
	Lookup(name string) (string, error)
	Preset(name string) ([]string, error)
	InCategory(name string) []*schema.Task
}

// Engine plans and applies configurations. Its fields are the providers that cmd/ wires in.
type Engine struct {
	Catalog   Catalog
	Endpoints Endpoints
	Datasets  Datasets
	// Runners maps a task's harness to the runner that plans and performs its runs.
	Runners Registry
	// Executor performs planned runs; nil means the local machine (LocalExecutor).
	Executor Executor
	// Services starts and stops managed endpoints; nil means they are not supported.
	Services Services
	// Exporters maps an exporter type ("mlflow", "local") to its implementation.
	Exporters map[string]Exporter
	// Version is evalplan's version, recorded in plans and state.
	Version string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Log receives debug and trace logs; nil discards them.
	Log hclog.Logger
}

func (e *Engine) log() hclog.Logger {
	if e.Log == nil {
		return hclog.NewNullLogger()
	}
	return e.Log
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) executor() Executor {
	if e.Executor == nil {
		return LocalExecutor{}
	}
	return e.Executor
}

// fingerprintFromConfig is an endpoint's fingerprint as far as the configuration tells.
func fingerprintFromConfig(ep *config.Endpoint) Fingerprint {
	caps := append([]string(nil), ep.Capabilities...)
	sort.Strings(caps)
	return Fingerprint{Model: ep.Model, Type: ep.Type, Revision: ep.Revision, Capabilities: caps}
}

// configFingerprint is an endpoint's fingerprint from the configuration; managed endpoints
// ask the Services provider, which knows which server arguments change results.
func (e *Engine) configFingerprint(ep *config.Endpoint) Fingerprint {
	if !ep.Managed() {
		return fingerprintFromConfig(ep)
	}
	if sf, ok := e.Services.(ServiceFingerprinter); ok {
		return sf.ConfigFingerprint(ep)
	}
	fp := fingerprintFromConfig(ep)
	fp.MaxModelLen = ep.Server.MaxModelLen
	return fp
}

// samePrior reports whether a recorded fingerprint still describes the configured endpoint
// as far as the configuration tells: a managed endpoint's recorded image may be the
// configured one pinned by digest.
func samePrior(p, fp Fingerprint, managed bool) bool {
	if p.Model != fp.Model || p.Type != fp.Type || p.Revision != fp.Revision {
		return false
	}
	if !managed {
		return true
	}
	sameImage := p.Image == fp.Image || !strings.Contains(fp.Image, "@") && strings.HasPrefix(p.Image, fp.Image+"@")
	return sameImage && p.MaxModelLen == fp.MaxModelLen && slices.Equal(p.ServerArgs, fp.ServerArgs) &&
		p.Server == fp.Server && p.Quantization == fp.Quantization
}

// selected reports which endpoints some suite uses.
func usedEndpoints(cfg *config.Config) []string {
	seen := map[string]bool{}
	for _, s := range cfg.Suites {
		for _, e := range s.Endpoints {
			seen[e] = true
		}
		for _, o := range s.Overrides {
			if o.Judge != "" {
				seen[o.Judge] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// refresh probes every used external endpoint concurrently. Managed endpoints and, with
// refresh off, every endpoint take their fingerprint from prior (state) or the configuration.
func (e *Engine) refresh(ctx context.Context, cfg *config.Config, prior map[string]Fingerprint, on bool) (map[string]Fingerprint, hcl.Diagnostics) {
	names := usedEndpoints(cfg)
	out := make(map[string]Fingerprint, len(names))
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		diags hcl.Diagnostics
	)
	for _, name := range names {
		ep := cfg.Endpoints[name]
		if ep == nil {
			continue
		}
		fp := e.configFingerprint(ep)
		if p, ok := prior[name]; ok && samePrior(p, fp, ep.Managed()) {
			fp = p
			fp.Capabilities = fingerprintFromConfig(ep).Capabilities
		}
		mu.Lock() // probes started by earlier iterations write out too
		out[name] = fp
		mu.Unlock()
		probe, summary := e.prober(ep)
		if !on || probe == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := probe(ctx, ep)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  summary,
					Detail:   err.Error(),
					Subject:  ep.DeclRange.Ptr(),
				})
				return
			}
			out[ep.Name] = got
		}()
	}
	wg.Wait()
	sort.SliceStable(diags, func(i, j int) bool { return diags[i].Detail < diags[j].Detail })
	return out, diags
}

// prober is how refresh reads an endpoint's live fingerprint, with the summary of its
// errors: external endpoints are probed, managed ones have their server image resolved; nil
// when nothing can be read.
func (e *Engine) prober(ep *config.Endpoint) (func(context.Context, *config.Endpoint) (Fingerprint, error), string) {
	if ep.Managed() {
		if sf, ok := e.Services.(ServiceFingerprinter); ok {
			return sf.Fingerprint, "Managed endpoint refresh failed"
		}
		return nil, ""
	}
	if e.Endpoints == nil {
		return nil, ""
	}
	return e.Endpoints.Probe, "Endpoint probe failed"
}

// Skip is a benchmark left out of a suite for an endpoint, with the reason.
type Skip struct {
	Suite     string `json:"suite"`
	Benchmark string `json:"benchmark"`
	Endpoint  string `json:"endpoint"`
	Reason    string `json:"reason"`
}

// expand plans every run of every suite, in address order.
func (e *Engine) expand(ctx context.Context, cfg *config.Config, fps map[string]Fingerprint) ([]*PlannedRun, []Skip, []string, hcl.Diagnostics) {
	var (
		runs     []*PlannedRun
		skips    []Skip
		warnings []string
		diags    hcl.Diagnostics
	)
	shas := map[string]string{} // dataset name → sha256
	for _, sname := range slices.Sorted(maps.Keys(cfg.Suites)) {
		s := cfg.Suites[sname]
		entries, d := e.suiteBenchmarks(s)
		diags = append(diags, d...)
		for _, ent := range entries {
			for _, epName := range s.Endpoints {
				ep := cfg.Endpoints[epName]
				if ep == nil {
					continue
				}
				r, skip, d := e.planRun(ctx, cfg, s, ent, ep, fps, shas, &warnings)
				diags = append(diags, d...)
				if skip != "" {
					skips = append(skips, Skip{Suite: s.Name, Benchmark: ent.key, Endpoint: epName, Reason: skip})
				}
				if r != nil {
					runs = append(runs, r)
				}
			}
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Addr.String() < runs[j].Addr.String() })
	return runs, skips, dedupe(warnings), diags
}

type suiteEntry struct {
	key      string // as written
	task     *schema.Task
	userTask string
	explicit bool
	rng      hcl.Range
}

// suiteBenchmarks lists a suite's benchmarks: explicit ones, then preset and categories,
// minus exclusions, each once.
func (e *Engine) suiteBenchmarks(s *config.Suite) ([]suiteEntry, hcl.Diagnostics) {
	var (
		out   []suiteEntry
		diags hcl.Diagnostics
		seen  = map[string]bool{} // canonical names
	)
	excluded := map[string]bool{}
	for _, x := range s.Exclude {
		excluded[x] = true
		if c, err := e.Catalog.Lookup(x); err == nil {
			excluded[c] = true
		}
	}
	add := func(key string, t *schema.Task, user string, explicit bool, rng hcl.Range) {
		if seen[t.Name] || excluded[key] || excluded[t.Name] {
			return
		}
		seen[t.Name] = true
		out = append(out, suiteEntry{key: key, task: t, userTask: user, explicit: explicit, rng: rng})
	}
	for _, b := range s.Benchmarks {
		if name, ok := strings.CutPrefix(b.Name, "task."); ok {
			add(b.Name, schema.UserTask(name), name, true, b.Range)
			continue
		}
		canon, err := e.Catalog.Lookup(b.Name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown benchmark", Detail: err.Error(), Subject: b.Range.Ptr()})
			continue
		}
		t, _ := e.Catalog.Get(canon)
		add(b.Name, t, "", true, b.Range)
	}
	if s.Preset != "" {
		names, err := e.Catalog.Preset(s.Preset)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown preset", Detail: err.Error(), Subject: s.DeclRange.Ptr()})
		}
		for _, n := range names {
			if t, ok := e.Catalog.Get(n); ok {
				add(n, t, "", false, s.DeclRange)
			}
		}
	}
	for _, c := range s.Categories {
		for _, t := range e.Catalog.InCategory(c) {
			add(t.Name, t, "", false, s.DeclRange)
		}
	}
	return out, diags
}

// supports reports whether an endpoint can serve a task, naming everything it lacks.
func supports(t *schema.Task, ep *config.Endpoint) (bool, string) {
	var missing []string
	typeOK := len(t.EndpointTypes) == 0
	for _, et := range t.EndpointTypes {
		if et == ep.Type || (et == "vlm" && ep.Type == "chat") {
			typeOK = true
		}
	}
	if !typeOK {
		missing = append(missing, fmt.Sprintf("a %s endpoint (%s is %s)", strings.Join(t.EndpointTypes, " or "), addrs.Endpoint{Name: ep.Name}, ep.Type))
	}
	have := map[string]bool{}
	for _, c := range ep.Capabilities {
		have[c] = true
	}
	var caps []string
	for _, c := range t.Capabilities {
		if !have[c] {
			caps = append(caps, c)
		}
	}
	if len(caps) > 0 {
		missing = append(missing, fmt.Sprintf("capability %s, which %s does not declare (capabilities = [...])", strings.Join(caps, " and "), addrs.Endpoint{Name: ep.Name}))
	}
	if len(missing) == 0 {
		return true, ""
	}
	return false, "needs " + strings.Join(missing, ", and ")
}

// planRun plans one run: the engine merges parameters and fingerprints, the task's runner
// says what the run adds to the identity and needs, and the engine hashes its datasets and
// computes the identity. A benchmark the endpoint cannot serve is an error when named
// explicitly and a skip (the reason) otherwise.
func (e *Engine) planRun(ctx context.Context, cfg *config.Config, s *config.Suite, ent suiteEntry, ep *config.Endpoint, fps map[string]Fingerprint, shas map[string]string, warnings *[]string) (*PlannedRun, string, hcl.Diagnostics) {
	if ok, why := supports(ent.task, ep); !ok {
		if ent.explicit {
			return nil, "", hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Benchmark incompatible with endpoint",
				Detail:   fmt.Sprintf("%s %s. Remove it from suite %q or use a suitable endpoint.", ent.key, why, s.Name),
				Subject:  ent.rng.Ptr(),
			}}
		}
		return nil, why, nil
	}
	ov := s.Override(ent.key, ent.task.Name)
	r := &PlannedRun{
		Addr:     addrs.Run{Suite: s.Name, Benchmark: ent.key, Endpoint: ep.Name},
		Task:     ent.task,
		Endpoint: ep,
		Params:   mergeParams(paramsFromDefaults(ent.task.Defaults), s.Params),
	}
	if ent.userTask != "" {
		r.UserTask = cfg.Tasks[ent.userTask]
	}
	var judge *Fingerprint
	if ov != nil {
		r.Params = mergeParams(r.Params, ov.Params)
		if ov.Judge != "" {
			fp := fps[ov.Judge]
			judge = &fp
			r.Judge = cfg.Endpoints[ov.Judge]
		}
	}
	r.Interceptors = cfg.RunInterceptors(s, ov)
	r.Executor = cfg.RunExecutor(s.Name, ent.key, ent.task.Name)
	rng := ent.rng.Ptr()
	if ov != nil {
		rng = ov.DeclRange.Ptr()
	}
	runner, err := e.Runners.For(ent.task)
	if err != nil {
		// Planned anyway, so configurations can be reviewed before their runner lands; apply
		// fails the run (see kindWarnings).
		runner = missingRunner{harness: ent.task.Harness}
	}
	rp, err := runner.PlanRun(ctx, &RunRequest{Addr: r.Addr, Task: ent.task, UserTask: r.UserTask, Endpoint: ep, Override: ov, Config: cfg, Params: r.Params})
	if err != nil {
		return nil, "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot plan " + r.Addr.String(), Detail: err.Error(), Subject: rng}}
	}
	r.Runner, r.Plan = runner, *rp
	var dsSHA, fewSHA string
	if fs := r.Plan.FewShot; fs != nil {
		sha, d := e.neededSHA(ctx, cfg, fs, fs.DeclRange.Ptr(), shas, warnings)
		if d != nil {
			return nil, "", d
		}
		fewSHA = sha
	}
	if ds := r.Plan.Dataset; ds != nil {
		sha, d := e.neededSHA(ctx, cfg, ds, datasetRange(ds, s), shas, warnings)
		if d != nil {
			return nil, "", d
		}
		dsSHA = sha
	}
	r.inputs(fps[ep.Name], judge, dsSHA, fewSHA)
	if err := r.identify(); err != nil {
		return nil, "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Internal error", Detail: err.Error()}}
	}
	return r, "", nil
}

// neededSHA is datasetSHA for a dataset a run needs, as a diagnostic on failure.
func (e *Engine) neededSHA(ctx context.Context, cfg *config.Config, ds *config.Dataset, rng *hcl.Range, shas map[string]string, warnings *[]string) (string, hcl.Diagnostics) {
	sha, warn, err := e.datasetSHA(ctx, cfg, ds, shas)
	if err != nil {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Dataset unavailable",
			Detail: fmt.Sprintf("%s: %v", addrs.Dataset{Name: ds.Name}, err), Subject: rng,
		}}
	}
	if warn != "" {
		*warnings = append(*warnings, warn)
	}
	return sha, nil
}

// missingRunner stands for a harness no runner of this build performs: its runs are planned
// and fail at apply.
type missingRunner struct{ harness string }

func (m missingRunner) Kind() RunnerKind { return RunnerKind(m.harness) }

func (m missingRunner) PlanRun(context.Context, *RunRequest) (*RunPlan, error) {
	return &RunPlan{}, nil
}

func (m missingRunner) Run(context.Context, *RunSpec, Progress) (*Outcome, error) {
	return &Outcome{Status: state.StatusFailed, Error: fmt.Sprintf("the %s runner is not yet supported", m.harness)}, nil
}

func datasetRange(ds *config.Dataset, s *config.Suite) *hcl.Range {
	if ds.DeclRange.Filename != "" {
		return ds.DeclRange.Ptr()
	}
	return s.DeclRange.Ptr()
}

// datasetSHA returns a dataset's sha256 for identities: declared, hashed (local sources) or
// from the cache (remote sources fetched before). Remote sources never fetched and without a
// declared sha256 return "" and a warning.
func (e *Engine) datasetSHA(ctx context.Context, cfg *config.Config, ds *config.Dataset, memo map[string]string) (string, string, error) {
	if ds.SHA256 != "" {
		return ds.SHA256, "", nil
	}
	if sha, ok := memo[ds.Name]; ok {
		return sha, "", nil
	}
	if e.Datasets == nil {
		return "", "", fmt.Errorf("no dataset provider")
	}
	addr := addrs.Dataset{Name: ds.Name}
	if config.IsLocalSource(ds.Source) {
		f, err := e.Datasets.Fetch(ctx, ds, cfg.Settings.CacheDir, NopProgress{})
		if err != nil {
			return "", "", err
		}
		memo[ds.Name] = f.SHA256
		return f.SHA256, "", nil
	}
	if f, ok := e.Datasets.Cached(ds, cfg.Settings.CacheDir); ok {
		memo[ds.Name] = f.SHA256
		return f.SHA256, fmt.Sprintf("%s has no sha256: its identity is the sha256 of the fetched bytes (%s); pin it with sha256 = %q", addr, display.ShortID(f.SHA256), f.SHA256), nil
	}
	memo[ds.Name] = ""
	return "", fmt.Sprintf("%s has no sha256 and is not fetched yet: its identity is known only after apply fetches it; pin it with sha256 = \"...\"", addr), nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
