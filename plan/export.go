package plan

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

// Exporter sends finished results somewhere (MLflow, local files). Export must be idempotent
// by rec.Identity: exporting the same identity twice must not create a second record.
type Exporter interface {
	Export(ctx context.Context, x *config.Exporter, rec *ExportRecord) (ref string, err error)
}

// ExportRecord is one run's result as exporters see it.
type ExportRecord struct {
	Address   string
	Suite     string
	Benchmark string
	Endpoint  string
	// Model, Harness and Task describe the run for tags and columns.
	Model   string
	Harness string
	Task    string
	// Identity and Inputs are the run's identity and the fields it hashes.
	Identity string
	Inputs   map[string]any
	Status   state.Status
	Result   *result.Result
	// RunDir is the absolute run directory with samples.jsonl, results.json, run_config.json.
	RunDir string
	// ConfigDir is the configuration directory (for the git commit of the configuration).
	ConfigDir       string
	EvalplanVersion string
}

// exporterAddr is the address of an exporter block.
func exporterAddr(x *config.Exporter) addrs.Exporter {
	return addrs.Exporter{Type: x.Type, Name: x.Name}
}

// exportersOf maps a suite name to the exporters that select it.
func exportersOf(cfg *config.Config) map[string][]addrs.Exporter {
	out := map[string][]addrs.Exporter{}
	for _, key := range slices.Sorted(maps.Keys(cfg.Exporters)) {
		x := cfg.Exporters[key]
		for _, s := range x.Suites {
			out[s] = append(out[s], exporterAddr(x))
		}
	}
	return out
}

// planExports adds an export action for every (exporter, run) whose result is not yet
// exported with the run's identity: runs that will run now, and recorded complete runs that
// were never exported (or whose export failed).
func planExports(cfg *config.Config, st *state.File, runs []*PlannedRun, actions []*Action, targets []string) []*Action {
	byAddr := map[string]*Action{}
	for _, a := range actions {
		byAddr[a.Address] = a
	}
	xs := exportersOf(cfg)
	var out []*Action
	for _, r := range runs {
		runAddr := r.Addr.String()
		for _, x := range xs[r.Addr.Suite] {
			addr := addrs.Export{Exporter: x, Run: r.Addr}.String()
			if !targeted(targets, runAddr) && !targeted(targets, addr) {
				continue
			}
			a := byAddr[runAddr]
			res := st.Resources[runAddr]
			willRun := a != nil && a.Action != ActionNone && a.Action != ActionForget
			switch {
			case willRun:
				out = append(out, &Action{Address: addr, Action: ActionExport, Suite: r.Addr.Suite, Benchmark: r.Addr.Benchmark, Endpoint: r.Addr.Endpoint, Identity: r.Identity, Reason: "after the run completes"})
			case res != nil && res.Status == state.StatusComplete && res.Identity == r.Identity:
				ex, ok := res.Exports[x.String()]
				if ok && ex.Identity == r.Identity && ex.Error == "" {
					continue
				}
				reason := "not yet exported"
				if ok && ex.Error != "" {
					reason = "last export failed: " + firstLine(ex.Error)
				}
				if !artifactsExist(cfg, res) {
					reason += "; " + exportWithoutArtifacts
				}
				out = append(out, &Action{Address: addr, Action: ActionExport, Suite: r.Addr.Suite, Benchmark: r.Addr.Benchmark, Endpoint: r.Addr.Endpoint, Identity: r.Identity, Reason: reason})
			}
		}
	}
	return out
}

// exportWithoutArtifacts is what the plan says of an export of a run whose artifacts are not
// present here (a fresh clone of a committed state): the exporter gets the recorded summary
// and no run directory to upload; the run is not re-run for it (docs/decisions.md).
const exportWithoutArtifacts = "artifacts not present here: the recorded summary is exported without them"

// exportRun exports one recorded run to one exporter and records the outcome in state.
func (e *Engine) exportRun(ctx context.Context, cfg *config.Config, store *state.Store, xa addrs.Export) error {
	xaddr, runAddr := xa.Exporter.String(), xa.Run.String()
	x := cfg.Exporters[xa.Exporter.Key()]
	if x == nil {
		return fmt.Errorf("%s is not in the configuration", xaddr)
	}
	exp := e.Exporters[x.Type]
	if exp == nil {
		return fmt.Errorf("%s: %s exporters are not yet supported", xaddr, x.Type)
	}
	snap := store.Snapshot()
	res := snap.Resources[runAddr]
	if res == nil || res.Status != state.StatusComplete || res.Result == nil {
		status := "not run"
		if res != nil {
			status = string(res.Status)
		}
		return fmt.Errorf("%s: %s has no complete result to export (status: %s)", xaddr, runAddr, status)
	}
	dir, err := resolveRunDir(cfg, runAddr, res.RunDir)
	if err != nil {
		return fmt.Errorf("%s: %w", xaddr, err)
	}
	if !rundir.HasResults(dir) {
		e.log().Warn("export without artifacts", "export", xaddr, "reason", exportWithoutArtifacts)
	}
	ep := xa.Run.Endpoint
	rec := &ExportRecord{
		Address: runAddr, Suite: xa.Run.Suite, Benchmark: xa.Run.Benchmark, Endpoint: ep,
		Identity: res.Identity, Inputs: res.Inputs, Status: res.Status, Result: res.Result,
		RunDir: dir, ConfigDir: cfg.Dir, EvalplanVersion: e.Version,
	}
	if epc := cfg.Endpoints[ep]; epc != nil {
		rec.Model = epc.Model
	}
	if b, ok := res.Inputs["benchmark"].(map[string]any); ok {
		rec.Harness, _ = b["harness"].(string)
		rec.Task, _ = b["task"].(string)
	}
	ref, err := exp.Export(ctx, x, rec)
	now := e.now()
	uerr := store.Update(func(f *state.File) {
		r := f.Resources[runAddr]
		if r == nil {
			return
		}
		if r.Exports == nil {
			r.Exports = map[string]state.Export{}
		}
		ex := state.Export{At: now, Identity: rec.Identity, Ref: ref}
		if err != nil {
			ex.Error = err.Error()
		}
		r.Exports[xaddr] = ex
	})
	if err != nil {
		return fmt.Errorf("%s: %w", xaddr, err)
	}
	return uerr
}

// ExportOptions select what Export sends.
type ExportOptions struct {
	// Exporters limits the exporters by key ("mlflow.team"); empty means all.
	Exporters []string
	// Addrs limits the runs (targets as in -target); empty means every run.
	Addrs []string
	// Force exports again even when state says the identity was exported.
	Force bool
}

// Export sends recorded complete results to exporters on demand (evalplan export). It
// returns the error of each export that failed, by export address.
func (e *Engine) Export(ctx context.Context, cfg *config.Config, store *state.Store, opts ExportOptions) (done []string, errs map[string]error) {
	errs = map[string]error{}
	snap := store.Snapshot()
	xs := exportersOf(cfg)
	for _, runAddr := range slices.Sorted(maps.Keys(snap.Resources)) {
		res := snap.Resources[runAddr]
		run, err := addrs.ParseRun(runAddr)
		if err != nil || res.Type != "run" || res.Status != state.StatusComplete || !targeted(opts.Addrs, runAddr) {
			continue
		}
		for _, x := range xs[run.Suite] {
			if len(opts.Exporters) > 0 && !slices.Contains(opts.Exporters, x.Key()) {
				continue
			}
			if ex, ok := res.Exports[x.String()]; ok && !opts.Force && ex.Identity == res.Identity && ex.Error == "" {
				continue
			}
			xa := addrs.Export{Exporter: x, Run: run}
			if err := e.exportRun(ctx, cfg, store, xa); err != nil {
				errs[xa.String()] = err
				continue
			}
			done = append(done, xa.String())
		}
	}
	return done, errs
}

// relRunDir keeps run directories in state relative to the configuration directory.
func relRunDir(cfg *config.Config, dir string) string {
	rel, err := filepath.Rel(cfg.Dir, dir)
	if err != nil {
		return dir
	}
	return filepath.ToSlash(rel)
}
