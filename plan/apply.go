package plan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/graph"
	"github.com/evalplan/evalplan/plan/rundir"
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
	Outcomes map[string]state.Status
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

// Graph plans the configuration against the state without probing endpoints and returns
// the plan's graph (BuildGraph), the graph apply would walk.
func (e *Engine) Graph(ctx context.Context, cfg *config.Config, st *state.File) (*graph.Graph, hcl.Diagnostics) {
	p, diags := e.Plan(ctx, cfg, st, Options{})
	if p == nil {
		return nil, diags
	}
	return BuildGraph(cfg, p), diags
}

// Apply carries out a plan made by Plan (or verified by VerifySaved): it walks the plan's
// graph (BuildGraph) with bounded parallelism, fetching the datasets that runs with work
// need, handing each run to the executor, reusing, forgetting and exporting as the actions
// say, and records every change in the store as it happens; then it updates comparisons,
// outputs and checks: only the comparisons a check or output reads are recorded. A failed
// node skips only its dependents. Apply never plans runs of its own: a run action without its
// planned run is refused.
func (e *Engine) Apply(ctx context.Context, cfg *config.Config, p *Plan, store *state.Store, opts ApplyOptions) (*ApplyResult, hcl.Diagnostics) {
	if err := CheckRunDirs(cfg, store.Snapshot()); err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Run directory outside the output directory", Detail: err.Error()}}
	}
	if opts.Progress == nil {
		opts.Progress = NopProgress{}
	}
	if opts.Parallelism < 1 {
		opts.Parallelism = cfg.Settings.Parallelism
	}
	w := &walker{e: e, cfg: cfg, store: store, opts: opts, pool: newServicePool(e.Services), work: map[string]*Action{}, fetch: map[string]*config.Dataset{}, files: map[string]DatasetFile{}, outcomes: map[string]state.Status{}}
	for _, a := range p.Actions {
		if !a.Action.known() {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid plan", Detail: fmt.Sprintf("%s: unknown action %q", a.Address, a.Action)}}
		}
		if !a.Action.work() {
			continue
		}
		if (a.Action.runs() || a.Action == ActionReuse) && a.Run == nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid plan", Detail: fmt.Sprintf("%s: the plan has no planned run for it; a saved plan is applied through VerifySaved", a.Address)}}
		}
		w.work[a.Address] = a
		if a.Action.runs() {
			for _, ds := range []*config.Dataset{a.Run.Plan.Dataset, a.Run.Plan.FewShot} {
				if ds != nil {
					w.fetch[addrs.Dataset{Name: ds.Name}.String()] = ds
				}
			}
		}
	}
	if err := e.recordEndpoints(store, p.Fingerprints); err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot write state", Detail: err.Error()}}
	}
	w.endpointRuns = endpointRuns(w.work)
	g := BuildGraph(cfg, p)
	errs := g.Walk(ctx, opts.Parallelism, w.node)
	for addr := range errs {
		if w.work[addr] == nil && w.fetch[addr] == nil {
			delete(errs, addr) // nothing to do there: endpoints, unchanged runs, checks, outputs
		}
	}
	res := &ApplyResult{Errors: errs, Outcomes: w.outcomes, Interrupted: ctx.Err() != nil}

	var diags hcl.Diagnostics
	if err := store.Flush(); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot write state", Detail: err.Error()})
	}
	touched := map[string]bool{}
	for addr, status := range w.outcomes {
		touched[addr] = status != ""
	}
	if err := compare.Update(store, suiteEndpoints(cfg), wantedComparisons(cfg), func(addr, dir string) (string, error) { return resolveRunDir(cfg, addr, dir) }, touched); err != nil {
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

// suiteEndpoints lists each suite's endpoints in configuration order.
func suiteEndpoints(cfg *config.Config) compare.Suites {
	out := compare.Suites{}
	for name, s := range cfg.Suites {
		out[name] = s.Endpoints
	}
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
			addr := addrs.Endpoint{Name: name}.String()
			res := &state.Resource{Type: "endpoint", Identity: id, Inputs: in}
			if prev := f.Resources[addr]; prev != nil {
				res.Job = prev.Job // the cluster job serving it, for the executor to re-attach
			}
			f.Resources[addr] = res
		}
	})
}

type walker struct {
	e     *Engine
	cfg   *config.Config
	store *state.Store
	opts  ApplyOptions
	pool  *servicePool
	// work holds the actions with something to do, by address; fetch the datasets that runs
	// with work need, by address. Every other node of the graph is passed through.
	work  map[string]*Action
	fetch map[string]*config.Dataset
	// endpointRuns counts the runs with work by executor, then managed endpoint (Job.EndpointRuns).
	endpointRuns map[string]map[string]int

	mu       sync.Mutex
	files    map[string]DatasetFile // dataset address → fetched file
	outcomes map[string]state.Status
}

func (w *walker) node(ctx context.Context, addr string) (err error) {
	start := time.Now()
	w.e.log().Debug("node start", "address", addr)
	defer func() {
		w.e.log().Debug("node end", "address", addr, "elapsed", time.Since(start).Round(time.Millisecond), "error", err)
	}()
	if ds := w.fetch[addr]; ds != nil {
		return w.fetchDataset(ctx, addr, ds)
	}
	a := w.work[addr]
	if a == nil {
		return nil
	}
	switch a.Action {
	case ActionForget:
		return w.store.Update(func(f *state.File) { delete(f.Resources, addr) })
	case ActionReuse:
		return w.reuse(a)
	case ActionExport:
		x, err := addrs.ParseExport(addr)
		if err != nil {
			return err
		}
		return w.e.exportRun(ctx, w.cfg, w.store, x)
	}
	return w.run(ctx, a)
}

func (w *walker) fetchDataset(ctx context.Context, addr string, ds *config.Dataset) error {
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

func (w *walker) file(ds *config.Dataset) DatasetFile {
	if ds == nil {
		return DatasetFile{}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.files[addrs.Dataset{Name: ds.Name}.String()]
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

// run performs a run action: it completes an identity that waited for its dataset, records
// the run as running, hands it to the executor and records the outcome.
func (w *walker) run(ctx context.Context, a *Action) error {
	r := a.Run
	file := w.file(r.Plan.Dataset)
	if r.Identity == "" {
		pending := r.runtimePending()
		if pending {
			id, err := w.e.prepareRuntime(ctx, r, w.spec(a, file, ""), w.opts.Progress)
			if err != nil {
				return err
			}
			if err := r.runtimePrepared(id); err != nil {
				return err
			}
		}
		if err := r.datasetFetched(file.SHA256); err != nil {
			return err
		}
		if pending && a.Action != ActionReplace {
			var done bool
			var err error
			if a, done, err = w.redecide(a); done || err != nil {
				return err
			}
		}
	}
	in := r.PlainInputs()
	runDir := r.RunDir(w.cfg.Settings.OutputDir)
	rel := relRunDir(w.cfg, runDir)
	aside := "" // where -replace moved the old run directory
	if a.Action == ActionReplace {
		if _, err := os.Stat(runDir); err == nil {
			if aside, err = moveAside(runDir, w.e.now()); err != nil {
				return fmt.Errorf("%s: keep the old run directory: %w", a.Address, err)
			}
		}
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", a.Address, err)
	}
	// The run directory has one writer: another process (a project sharing output_dir)
	// running the same run makes this one fail rather than interleave its journal.
	release, err := rundir.Lock(runDir)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Address, err)
	}
	defer release()
	started := w.e.now()
	previous := "" // the job an interrupted apply left running this very run
	err = w.store.Update(func(f *state.File) {
		res := &state.Resource{Type: "run", Identity: r.Identity, Inputs: in, Status: state.StatusRunning, RunDir: rel, StartedAt: &started}
		if prev := f.Resources[a.Address]; prev != nil {
			if prev.Status == state.StatusRunning && prev.Identity == r.Identity && a.Action != ActionReplace {
				previous, res.Job = prev.Job, prev.Job
				if prev.StartedAt != nil {
					res.StartedAt = prev.StartedAt
				}
			}
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
	job := &Job{Run: r, Spec: w.spec(a, file, runDir), Servers: w.pool, Previous: previous, ServerJobs: storeServerJobs{w.store}, EndpointRuns: w.endpointRuns[r.Executor]}
	job.Record = func(id string) error {
		return w.store.Update(func(f *state.File) { f.Resources[a.Address].Job = id })
	}
	out, runErr := w.e.executor().Execute(ctx, job, w.opts.Progress)
	if out == nil {
		out = &Outcome{Status: state.StatusFailed}
		if runErr != nil {
			out.Error = runErr.Error()
		}
	}
	out = withoutEmptyResult(out)
	finished := w.e.now()
	// The end is on disk within state.FlushDelay, and before Apply returns: a crash sooner
	// leaves the run recorded as running, which the next apply resumes from its journal,
	// requesting no sample again (docs/decisions.md, State).
	w.store.UpdateSoon(func(f *state.File) {
		res := f.Resources[a.Address]
		res.Status, res.Result, res.Error, res.FinishedAt = out.Status, out.Result, out.Error, &finished
	})
	w.mu.Lock()
	w.outcomes[a.Address] = out.Status
	w.mu.Unlock()
	if out.Status == state.StatusComplete {
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

// endpointRuns counts the run actions of work by executor and managed endpoint.
func endpointRuns(work map[string]*Action) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, a := range work {
		if !a.Action.runs() || a.Run == nil {
			continue
		}
		for _, ep := range ManagedEndpoints(a.Run) {
			if out[a.Run.Executor] == nil {
				out[a.Run.Executor] = map[string]int{}
			}
			out[a.Run.Executor][ep.Name]++
		}
	}
	return out
}

// storeServerJobs is ServerJobs over the state: the endpoint resource's job.
type storeServerJobs struct{ store *state.Store }

func (s storeServerJobs) ServerJob(endpoint string) string {
	if res := s.store.Snapshot().Resources[addrs.Endpoint{Name: endpoint}.String()]; res != nil {
		return res.Job
	}
	return ""
}

func (s storeServerJobs) RecordServerJob(endpoint, job string) error {
	return s.store.Update(func(f *state.File) {
		addr := addrs.Endpoint{Name: endpoint}.String()
		res := f.Resources[addr]
		if res == nil {
			res = &state.Resource{Type: "endpoint"}
			f.Resources[addr] = res
		}
		res.Job = job
	})
}

// moveAside moves a run directory to asideName under its lock, so that it never moves a
// directory another process is writing (rundir.ErrBusy), and returns where it went.
func moveAside(runDir string, now time.Time) (string, error) {
	release, err := rundir.Lock(runDir)
	if err != nil {
		return "", err
	}
	defer release()
	aside := asideName(runDir, now)
	if err := os.Rename(runDir, aside); err != nil {
		return "", err
	}
	return aside, nil
}

// asideName is where -replace keeps a run directory: DIR.replaced-TIMESTAMP, with a
// counter when another replace took that name in the same second.
func asideName(runDir string, now time.Time) string {
	base := fmt.Sprintf("%s.replaced-%s", runDir, now.Format("20060102T150405Z"))
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// withoutEmptyResult drops a result in which no sample was scored, whichever runner made
// it: its score of 0 measures nothing, and stored it would read as one in the report, in
// checks and in exports. A complete run without a scored sample failed.
func withoutEmptyResult(out *Outcome) *Outcome {
	if out.Result == nil || out.Result.Scored() {
		return out
	}
	o := *out
	o.Result = nil
	if o.Status == state.StatusComplete {
		o.Status = state.StatusFailed
	}
	msg := "no sample was scored: no result"
	if o.Error != "" {
		msg = o.Error + "; " + msg
	}
	o.Error = msg
	return &o
}

// spec is the RunSpec of a run action: the planned run with what apply resolved for it.
func (w *walker) spec(a *Action, file DatasetFile, runDir string) *RunSpec {
	r := a.Run
	return &RunSpec{
		Address: a.Address, Suite: r.Addr.Suite, Benchmark: r.Addr.Benchmark, Task: r.Task, UserTask: r.UserTask,
		Endpoint: r.Endpoint, Judge: r.Judge, Interceptors: r.Interceptors, Image: r.Plan.Pull, Fingerprint: r.Inputs.Endpoint,
		Dataset: file, DatasetConfig: r.Plan.Dataset, FewShot: w.file(r.Plan.FewShot), FewShotConfig: r.Plan.FewShot,
		Params: r.Params, Identity: r.Identity, RunDir: runDir, CacheDir: w.cfg.Settings.CacheDir,
		Resume: a.Action == ActionResume,
		// -replace forces a real re-run: cached responses would repeat the old answers.
		NoCache: w.opts.NoCache || a.Action == ActionReplace,
	}
}

// redecide decides a run again once its identity, unknown at plan time, is known (its
// environment prepared): the identity the plan could not compare is compared with the
// recorded run as plan compares it (decide). It returns the action to perform, or done when
// there is nothing more to do: the run is up to date, or a complete result with the same
// identity was reused.
func (w *walker) redecide(a *Action) (*Action, bool, error) {
	r := a.Run
	snap := w.store.Snapshot()
	prior := snap.Resources[a.Address]
	d := decide(w.cfg, prior, r, Options{}, completedByIdentity(w.cfg, snap))
	progress := w.opts.Progress
	switch d.Action {
	case ActionNone:
		progress.Log(a.Address, fmt.Sprintf("up to date: the prepared environment gives the recorded identity %s; not run again", display.ShortID(r.Identity)))
		w.mu.Lock()
		w.outcomes[a.Address] = prior.Status
		w.mu.Unlock()
		return a, true, nil
	case ActionReuse:
		progress.Log(a.Address, fmt.Sprintf("the prepared environment gives identity %s, which %s completed: reused", display.ShortID(r.Identity), d.ReuseFrom))
		return a, true, w.reuse(d)
	}
	if prior != nil && prior.Identity != r.Identity {
		for _, ch := range DiffInputs(Inputs(prior.Inputs), r.PlainInputs()) {
			progress.Log(a.Address, fmt.Sprintf("identity changed: %s: %v → %v", ch.Path, ch.Old, ch.New))
		}
	}
	cp := *a
	cp.Action, cp.Reason = d.Action, d.Reason
	return &cp, false, nil
}

// prepareRuntime prepares the environment of a run planned with PendingRuntime through its
// runner and returns the environment's identity.
func (e *Engine) prepareRuntime(ctx context.Context, r *PlannedRun, spec *RunSpec, progress Progress) (string, error) {
	p, ok := r.Runner.(RuntimePreparer)
	if !ok {
		return "", fmt.Errorf("%s: its runner (%s) cannot prepare %s", r.Addr, r.Runner.Kind(), r.Plan.PendingRuntime)
	}
	id, err := p.PrepareRuntime(ctx, spec, progress)
	if err != nil {
		return "", fmt.Errorf("%s: prepare %s: %w", r.Addr, r.Plan.PendingRuntime, err)
	}
	return id, nil
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
