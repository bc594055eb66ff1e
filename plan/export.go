package plan

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
)

// ActionExport exports a run's result to an exporter.
const ActionExport = "export"

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
	Status   string
	Result   *result.Result
	// RunDir is the absolute run directory with samples.jsonl, results.json, run_config.json.
	RunDir string
	// ConfigDir is the configuration directory (for the git commit of the configuration).
	ConfigDir       string
	EvalplanVersion string
}

// ExportAddr is the address of the export of run to exporter key ("mlflow.team"):
// exporter.mlflow.team.export[suite.quick.run["native.gsm8k"]["qwen"]].
func ExportAddr(key, run string) string {
	return "exporter." + key + ".export[" + run + "]"
}

// ParseExportAddr splits an export address into its exporter key and run address.
func ParseExportAddr(addr string) (key, run string, ok bool) {
	rest, found := strings.CutPrefix(addr, "exporter.")
	if !found || !strings.HasSuffix(rest, "]") {
		return "", "", false
	}
	key, run, found = strings.Cut(rest, ".export[")
	if !found {
		return "", "", false
	}
	return key, strings.TrimSuffix(run, "]"), true
}

// exportersOf maps a suite name to the exporter keys that select it.
func exportersOf(cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	for _, key := range slices.Sorted(maps.Keys(cfg.Exporters)) {
		for _, s := range cfg.Exporters[key].Suites {
			out[s] = append(out[s], key)
		}
	}
	return out
}

// planExports adds an export action for every (exporter, run) whose result is not yet
// exported with the run's identity: runs that will run now, and recorded complete runs that
// were never exported (or whose export failed).
func planExports(cfg *config.Config, st *state.File, runs []*Run, actions []*Action, targets []string) []*Action {
	byAddr := map[string]*Action{}
	for _, a := range actions {
		byAddr[a.Address] = a
	}
	xs := exportersOf(cfg)
	var out []*Action
	for _, r := range runs {
		for _, key := range xs[r.Suite] {
			addr := ExportAddr(key, r.Addr)
			if !targeted(targets, r.Addr) && !targeted(targets, addr) {
				continue
			}
			a := byAddr[r.Addr]
			res := st.Resources[r.Addr]
			willRun := a != nil && a.Action != ActionNone && a.Action != ActionForget
			switch {
			case willRun:
				out = append(out, &Action{Address: addr, Action: ActionExport, Suite: r.Suite, Benchmark: r.Benchmark, Endpoint: r.Endpoint, Identity: r.Identity, Reason: "after the run completes"})
			case res != nil && res.Status == state.StatusComplete && res.Identity == r.Identity:
				ex, ok := res.Exports["exporter."+key]
				if ok && ex.Identity == r.Identity && ex.Error == "" {
					continue
				}
				reason := "not yet exported"
				if ok && ex.Error != "" {
					reason = "last export failed: " + firstLine(ex.Error)
				}
				out = append(out, &Action{Address: addr, Action: ActionExport, Suite: r.Suite, Benchmark: r.Benchmark, Endpoint: r.Endpoint, Identity: r.Identity, Reason: reason})
			}
		}
	}
	return out
}

// exportRun exports one recorded run to one exporter and records the outcome in state.
func (e *Engine) exportRun(ctx context.Context, cfg *config.Config, store *state.Store, key, runAddr string) error {
	x := cfg.Exporters[key]
	if x == nil {
		return fmt.Errorf("exporter.%s is not in the configuration", key)
	}
	exp := e.Exporters[x.Type]
	if exp == nil {
		return fmt.Errorf("exporter.%s: %s exporters are not yet supported", key, x.Type)
	}
	snap := store.Snapshot()
	res := snap.Resources[runAddr]
	if res == nil || res.Status != state.StatusComplete || res.Result == nil {
		status := "not run"
		if res != nil {
			status = res.Status
		}
		return fmt.Errorf("exporter.%s: %s has no complete result to export (status: %s)", key, runAddr, status)
	}
	suite, bench, ep, _ := ParseRunAddr(runAddr)
	rec := &ExportRecord{
		Address: runAddr, Suite: suite, Benchmark: bench, Endpoint: ep,
		Identity: res.Identity, Inputs: res.Inputs, Status: res.Status, Result: res.Result,
		RunDir: absRunDir(cfg, res.RunDir), ConfigDir: cfg.Dir, EvalplanVersion: e.Version,
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
	xaddr := "exporter." + key
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
		suite, _, _, ok := ParseRunAddr(runAddr)
		if !ok || res.Type != "run" || res.Status != state.StatusComplete || !targeted(opts.Addrs, runAddr) {
			continue
		}
		for _, key := range xs[suite] {
			if len(opts.Exporters) > 0 && !containsString(opts.Exporters, key) {
				continue
			}
			if ex, ok := res.Exports["exporter."+key]; ok && !opts.Force && ex.Identity == res.Identity && ex.Error == "" {
				continue
			}
			addr := ExportAddr(key, runAddr)
			if err := e.exportRun(ctx, cfg, store, key, runAddr); err != nil {
				errs[addr] = err
				continue
			}
			done = append(done, addr)
		}
	}
	return done, errs
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// relRunDir keeps run directories in state relative to the configuration directory.
func relRunDir(cfg *config.Config, dir string) string {
	rel, err := filepath.Rel(cfg.Dir, dir)
	if err != nil {
		return dir
	}
	return filepath.ToSlash(rel)
}
