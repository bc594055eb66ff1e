package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/graph"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/hashicorp/hcl/v2"
)

// ApplyOptions tune an apply.
type ApplyOptions struct {
	// Parallelism bounds the graph nodes at work at once (default: the evalplan block's).
	Parallelism int
	// NoCache turns the response cache off for every run.
	NoCache bool
	// Progress receives progress events; nil discards them.
	Progress Progress
}

// ApplyResult is what an apply did.
type ApplyResult struct {
	// Errors maps each address that did not succeed to its error.
	Errors map[string]error
	// Outcomes maps each run address that ran to its final status.
	Outcomes map[string]string
	// Checks are the check results after apply.
	Checks []CheckResult
	// Interrupted is true when the apply was cancelled.
	Interrupted bool
}

// maxHistory bounds the history kept per run in state.
const maxHistory = 20

// ErrStalePlan is returned when a saved plan no longer matches the state or configuration.
var ErrStalePlan = errors.New("saved plan is stale; run plan again")

// CheckStale verifies that a saved plan still matches the state, configuration files and
// endpoint fingerprints (fps, freshly refreshed).
func CheckStale(cfg *config.Config, st *state.File, p *Plan, fps map[string]Fingerprint) error {
	switch {
	case p.Lineage == "" && st.Lineage != "":
		return fmt.Errorf("%w: it was made before any state existed, and an apply has written state since", ErrStalePlan)
	case p.Lineage != st.Lineage:
		return fmt.Errorf("%w: it was made for state lineage %s, the state is %s", ErrStalePlan, p.Lineage, st.Lineage)
	case p.Serial != st.Serial:
		return fmt.Errorf("%w: the state changed since (serial %d → %d)", ErrStalePlan, p.Serial, st.Serial)
	case p.ConfigHash != ConfigHash(cfg):
		return fmt.Errorf("%w: the configuration files changed since it was made", ErrStalePlan)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Fingerprints)) {
		got, ok := fps[name]
		if !ok {
			continue
		}
		if changes := fingerprintChanges(p.Fingerprints[name], got); len(changes) > 0 {
			var parts []string
			for _, c := range changes {
				parts = append(parts, fmt.Sprintf("%s: %s → %s", c.Path, renderValue(c.Old), renderValue(c.New)))
			}
			return fmt.Errorf("%w: endpoint.%s changed since (%s)", ErrStalePlan, name, strings.Join(parts, ", "))
		}
	}
	return nil
}

func fingerprintChanges(old, new Fingerprint) []Change {
	io, _ := toInputs(old)
	in, _ := toInputs(new)
	return DiffInputs(io, in)
}

// Refresh returns the current endpoint fingerprints (for CheckStale).
func (e *Engine) Refresh(ctx context.Context, cfg *config.Config, st *state.File, on bool) (map[string]Fingerprint, hcl.Diagnostics) {
	return e.refresh(ctx, cfg, priorFingerprints(st), on)
}

// Apply carries out a plan: it fetches datasets, performs runs as a dependency graph with
// bounded parallelism, records every change in the store as it happens, then evaluates checks
// and outputs. A failed node skips only its dependents.
func (e *Engine) Apply(ctx context.Context, cfg *config.Config, p *Plan, store *state.Store, opts ApplyOptions) (*ApplyResult, hcl.Diagnostics) {
	if opts.Progress == nil {
		opts.Progress = NopProgress{}
	}
	if opts.Parallelism < 1 {
		opts.Parallelism = cfg.Settings.Parallelism
	}
	runs, _, _, diags := e.expand(ctx, cfg, p.Fingerprints)
	if diags.HasErrors() {
		return nil, diags
	}
	byAddr := make(map[string]*Run, len(runs))
	for _, r := range runs {
		byAddr[r.Addr] = r
	}
	w := &walker{e: e, cfg: cfg, store: store, opts: opts, runs: byAddr, pool: newServicePool(e.Services), actions: map[string]*Action{}, files: map[string]DatasetFile{}, outcomes: map[string]string{}}
	g := graph.New()
	for _, a := range p.Actions {
		if a.Action == ActionNone {
			continue
		}
		w.actions[a.Address] = a
		g.Add(a.Address)
		if a.Action == ActionExport {
			continue
		}
		if a.Action == ActionForget || a.Action == ActionReuse {
			continue
		}
		r := byAddr[a.Address]
		if r == nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stale plan", Detail: fmt.Sprintf("%v: %s is no longer in the configuration", ErrStalePlan, a.Address)}}
		}
		if a.Identity != "" && r.Identity != a.Identity {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stale plan", Detail: fmt.Sprintf("%v: the identity of %s changed", ErrStalePlan, a.Address)}}
		}
		if r.Dataset != nil {
			dsAddr := DatasetAddr(r.Dataset.Name)
			w.datasets.Store(dsAddr, r.Dataset)
			g.Connect(a.Address, dsAddr)
		}
		if ds := w.fewShotDataset(r); ds != nil {
			dsAddr := DatasetAddr(ds.Name)
			w.datasets.Store(dsAddr, ds)
			g.Connect(a.Address, dsAddr)
		}
	}
	for _, a := range p.Actions {
		if a.Action != ActionExport {
			continue
		}
		if _, run, ok := ParseExportAddr(a.Address); ok && w.actions[run] != nil {
			g.Connect(a.Address, run)
		}
	}
	if err := e.recordEndpoints(store, p.Fingerprints); err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot write state", Detail: err.Error()}}
	}
	errs := g.Walk(ctx, opts.Parallelism, w.node)
	res := &ApplyResult{Errors: errs, Outcomes: w.outcomes, Interrupted: ctx.Err() != nil}

	if err := updateComparisons(cfg, store, w.outcomes); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Cannot compare runs", Detail: err.Error()})
	}
	snap := store.Snapshot()
	outputs, odiags := EvalOutputs(cfg, snap)
	diags = append(diags, odiags...)
	if err := store.Update(func(f *state.File) { f.Outputs = outputs }); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot write state", Detail: err.Error()})
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Checks)) {
		res.Checks = append(res.Checks, EvalCheck(cfg, snap, cfg.Checks[name], nil, false))
	}
	return res, diags
}

// updateComparisons computes, for every suite and benchmark, the paired comparison of each
// ordered pair of comparable runs (new, base) on different endpoints, and records it in the
// new run's Compare keyed by the base endpoint, all in one state update. Complete and
// partial runs are comparable: the comparison is on the samples both answered, and those
// that errored on either side are excluded and counted. A pair neither of whose runs
// changed in this apply (touched) keeps the comparison it has for the same two identities;
// a failed or running run has none.
func updateComparisons(cfg *config.Config, store *state.Store, touched map[string]string) error {
	snap := store.Snapshot()
	type group struct{ suite, benchmark string }
	groups := map[group][]string{}
	for addr, r := range snap.Resources {
		s, b, e, ok := ParseRunAddr(addr)
		if ok && r.Type == "run" && cfg.Suites[s] != nil {
			groups[group{s, b}] = append(groups[group{s, b}], e)
		}
	}
	updates := map[string]map[string]any{}
	var errs []error
	for g, eps := range groups {
		journals := map[string]map[string]compare.Sample{}
		journal := func(e string) map[string]compare.Sample {
			if j, ok := journals[e]; ok {
				return j
			}
			j, err := compare.ReadRun(absRunDir(cfg, snap.Resources[RunAddr(g.suite, g.benchmark, e)].RunDir))
			if err != nil {
				errs = append(errs, err)
			}
			journals[e] = j
			return j
		}
		for _, e := range endpointOrder(cfg.Suites[g.suite], eps) {
			addr := RunAddr(g.suite, g.benchmark, e)
			r := snap.Resources[addr]
			if !comparableRun(r) {
				updates[addr] = nil
				continue
			}
			out := map[string]any{}
			for _, b := range endpointOrder(cfg.Suites[g.suite], eps) {
				baseAddr := RunAddr(g.suite, g.benchmark, b)
				base := snap.Resources[baseAddr]
				if b == e || !comparableRun(base) {
					continue
				}
				if prev, ok := r.Compare[b].(map[string]any); ok && touched[addr] == "" && touched[baseAddr] == "" &&
					prev["identity"] == r.Identity && prev["base_identity"] == base.Identity {
					out[b] = prev
					continue
				}
				newS, baseS := journal(e), journal(b)
				if len(newS) == 0 || len(baseS) == 0 {
					continue
				}
				c := compare.Paired(newS, baseS, r.Result.Primary)
				c.Identity, c.BaseIdentity = r.Identity, base.Identity
				v, err := state.Normalize(c)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				out[b] = v
			}
			if len(out) == 0 {
				out = nil
			}
			updates[addr] = out
		}
	}
	if err := store.Update(func(f *state.File) {
		for addr, c := range updates {
			if r := f.Resources[addr]; r != nil {
				r.Compare = c
			}
		}
	}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// comparableRun reports whether r is a complete or partial run with a result.
func comparableRun(r *state.Resource) bool {
	return r != nil && (r.Status == state.StatusComplete || r.Status == state.StatusPartial) && r.Result != nil
}

// endpointOrder orders the endpoints eps by their place in the suite's endpoints list;
// endpoints no longer listed come last, by name.
func endpointOrder(s *config.Suite, eps []string) []string {
	rank := map[string]int{}
	for i, e := range s.Endpoints {
		rank[e] = i + 1
	}
	out := append([]string(nil), eps...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank[out[i]], rank[out[j]]
		if ri == 0 || rj == 0 || ri == rj {
			if (ri == 0) != (rj == 0) {
				return rj == 0
			}
			return out[i] < out[j]
		}
		return ri < rj
	})
	return out
}

// recordEndpoints keeps each endpoint's fingerprint in state, for -refresh=false.
func (e *Engine) recordEndpoints(store *state.Store, fps map[string]Fingerprint) error {
	return store.Update(func(f *state.File) {
		for name, fp := range fps {
			in, err := toInputs(fp)
			if err != nil {
				continue
			}
			id, _ := Identity(in)
			f.Resources[EndpointAddr(name)] = &state.Resource{Type: "endpoint", Identity: id, Inputs: in}
		}
	})
}

type walker struct {
	e        *Engine
	cfg      *config.Config
	store    *state.Store
	opts     ApplyOptions
	runs     map[string]*Run
	pool     *servicePool
	actions  map[string]*Action
	datasets sync.Map // address → *config.Dataset

	mu       sync.Mutex
	files    map[string]DatasetFile // dataset address → fetched file
	outcomes map[string]string
}

func (w *walker) node(ctx context.Context, addr string) (err error) {
	start := time.Now()
	w.e.log().Debug("node start", "address", addr)
	defer func() {
		w.e.log().Debug("node end", "address", addr, "elapsed", time.Since(start).Round(time.Millisecond), "error", err)
	}()
	if v, ok := w.datasets.Load(addr); ok {
		return w.fetch(ctx, addr, v.(*config.Dataset))
	}
	a := w.actions[addr]
	switch a.Action {
	case ActionForget:
		return w.store.Update(func(f *state.File) { delete(f.Resources, addr) })
	case ActionReuse:
		return w.reuse(a)
	case ActionExport:
		key, run, ok := ParseExportAddr(addr)
		if !ok {
			return fmt.Errorf("bad export address %s", addr)
		}
		return w.e.exportRun(ctx, w.cfg, w.store, key, run)
	}
	return w.run(ctx, a, w.runs[addr])
}

func (w *walker) fetch(ctx context.Context, addr string, ds *config.Dataset) error {
	if w.e.Datasets == nil {
		return fmt.Errorf("%s: no dataset provider", addr)
	}
	f, err := w.e.Datasets.Fetch(ctx, ds, w.cfg.Settings.CacheDir, w.opts.Progress)
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	w.mu.Lock()
	w.files[addr] = f
	w.mu.Unlock()
	return nil
}

func (w *walker) reuse(a *Action) error {
	return w.store.Update(func(f *state.File) {
		src := f.Resources[a.ReuseFrom]
		if src == nil {
			return
		}
		cp := src.Clone()
		cp.History = nil
		cp.Exports = nil
		if prev := f.Resources[a.Address]; prev != nil {
			cp.History = appendHistory(prev)
		}
		f.Resources[a.Address] = cp
		w.mu.Lock()
		w.outcomes[a.Address] = cp.Status
		w.mu.Unlock()
	})
}

func appendHistory(prev *state.Resource) []state.HistoryEntry {
	h := append([]state.HistoryEntry(nil), prev.History...)
	if prev.Identity != "" {
		h = append(h, state.HistoryEntry{Identity: prev.Identity, Status: prev.Status, Result: prev.Result, RunDir: prev.RunDir, FinishedAt: prev.FinishedAt})
	}
	if len(h) > maxHistory {
		h = h[len(h)-maxHistory:]
	}
	return h
}

func (w *walker) run(ctx context.Context, a *Action, r *Run) error {
	var file DatasetFile
	if r.Dataset != nil {
		w.mu.Lock()
		file = w.files[DatasetAddr(r.Dataset.Name)]
		w.mu.Unlock()
		if r.Identity == "" {
			r.DatasetSHA = file.SHA256
			r.Inputs["dataset"] = file.SHA256
			id, err := Identity(r.Inputs)
			if err != nil {
				return err
			}
			r.Identity = id
		}
	}
	runDir := RunDir(w.cfg, r)
	rel := relRunDir(w.cfg, runDir)
	aside := "" // where -replace moved the old run directory
	if a.Action == ActionReplace {
		if _, err := os.Stat(runDir); err == nil {
			aside = fmt.Sprintf("%s.replaced-%s", runDir, w.e.now().Format("20060102T150405Z"))
			if err := os.Rename(runDir, aside); err != nil {
				return fmt.Errorf("%s: keep the old run directory: %w", a.Address, err)
			}
		}
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", a.Address, err)
	}
	started := w.e.now()
	err := w.store.Update(func(f *state.File) {
		res := &state.Resource{Type: "run", Identity: r.Identity, Inputs: r.Inputs, Status: state.StatusRunning, RunDir: rel, StartedAt: &started}
		if prev := f.Resources[a.Address]; prev != nil {
			res.Exports = prev.Exports
			res.History = prev.History
			if prev.Identity != r.Identity || a.Action == ActionReplace {
				old := *prev
				if aside != "" && old.RunDir == rel {
					old.RunDir = relRunDir(w.cfg, aside)
				}
				res.History = appendHistory(&old)
				res.Exports = nil
			}
		}
		f.Resources[a.Address] = res
	})
	if err != nil {
		return err
	}
	out, runErr := w.execute(ctx, a, r, file, runDir)
	finished := w.e.now()
	if err := w.store.Update(func(f *state.File) {
		res := f.Resources[a.Address]
		res.Status, res.Result, res.Error, res.FinishedAt = out.Status, out.Result, out.Error, &finished
	}); err != nil {
		return err
	}
	w.mu.Lock()
	w.outcomes[a.Address] = out.Status
	w.mu.Unlock()
	if out.Status == StatusComplete {
		return nil
	}
	if out.Error != "" {
		return errors.New(out.Error)
	}
	if runErr != nil {
		return runErr
	}
	return fmt.Errorf("run ended %s", out.Status)
}

// execute calls the runner for a run and always returns an outcome.
func (w *walker) execute(ctx context.Context, a *Action, r *Run, file DatasetFile, runDir string) (*Outcome, error) {
	kind := harnessKind(r.Task)
	runner := w.e.Runners[kind]
	if runner == nil {
		return &Outcome{Status: StatusFailed, Error: fmt.Sprintf("the %s runner is not yet supported", kind)}, nil
	}
	parent := ctx
	if r.Params.Timeout != nil && *r.Params.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*r.Params.Timeout*float64(time.Second)))
		defer cancel()
	}
	url, err := w.pool.Acquire(ctx, r.EP)
	if err != nil {
		return &Outcome{Status: StatusFailed, Error: err.Error()}, err
	}
	defer func() {
		if err := w.pool.Release(ctx, r.EP); err != nil {
			w.opts.Progress.Log(EndpointAddr(r.EP.Name), "stop: "+err.Error())
		}
	}()
	ep := *r.EP
	ep.URL = url
	spec := &RunSpec{
		Address: a.Address, Suite: r.Suite, Benchmark: r.Benchmark, Task: r.Task, UserTask: r.UserTask,
		Endpoint: &ep, Image: r.Image, Fingerprint: r.Fingerprint, Dataset: file, DatasetConfig: r.Dataset, Params: r.Params, Identity: r.Identity, RunDir: runDir,
		CacheDir: w.cfg.Settings.CacheDir, Resume: a.Action == ActionResume,
		// -replace forces a real re-run: cached responses would repeat the old answers.
		NoCache: w.opts.NoCache || a.Action == ActionReplace,
	}
	if ds := w.fewShotDataset(r); ds != nil {
		w.mu.Lock()
		spec.FewShot = w.files[DatasetAddr(ds.Name)]
		w.mu.Unlock()
		spec.FewShotConfig = ds
	}
	if judge := w.cfg.Endpoints[r.Judge]; judge != nil {
		jurl, err := w.pool.Acquire(ctx, judge)
		if err != nil {
			return &Outcome{Status: StatusFailed, Error: err.Error()}, err
		}
		defer func() {
			if err := w.pool.Release(ctx, judge); err != nil {
				w.opts.Progress.Log(EndpointAddr(judge.Name), "stop: "+err.Error())
			}
		}()
		j := *judge
		j.URL = jurl
		spec.Judge = &j
	}
	out, err := runner.Run(ctx, spec, w.opts.Progress)
	if out == nil {
		out = &Outcome{Status: StatusFailed}
		if err != nil {
			out.Error = err.Error()
		}
	}
	if out.Status == StatusFailed && out.Error == "" && err != nil {
		out.Error = err.Error()
	}
	// The run's own timeout ended it (not Ctrl-C): say so, and keep what it finished.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil && out.Status != StatusComplete {
		if !strings.Contains(out.Error, "timed out") {
			msg := fmt.Sprintf("run timed out after %gs (params timeout)", *r.Params.Timeout)
			if out.Error != "" && !errors.Is(err, context.DeadlineExceeded) {
				msg += ": " + out.Error
			}
			out.Error = msg
		}
		err = nil
	}
	return out, err
}

// fewShotDataset is the few_shot_dataset block of a task block run, nil when none.
func (w *walker) fewShotDataset(r *Run) *config.Dataset {
	if r.UserTask == nil || r.UserTask.FewShotDataset == "" {
		return nil
	}
	return w.cfg.Datasets[r.UserTask.FewShotDataset]
}

// FailedAddrs returns the addresses that did not succeed, sorted.
func (r *ApplyResult) FailedAddrs() []string {
	out := make([]string, 0, len(r.Errors))
	for a := range r.Errors {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
