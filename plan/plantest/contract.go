package plantest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
)

// Case is one provider combination under the contract.
type Case struct {
	// Engine is wired with the providers under test. Contract wraps its runners and
	// exporters in counting decorators on a copy; the Engine itself is not changed, and
	// closing what its providers hold open stays with the caller.
	Engine *plan.Engine
	// Dir is the configuration directory (eval.hcl). It must be writable and hold no state
	// yet: state, run directories and caches go where its evalplan block says, by default
	// inside Dir. Use a t.TempDir.
	Dir string
	// Vars and Environ are the -var/-var-file arguments and the environment of config.Load.
	Vars    []config.VarArg
	Environ []string
	// Check, when set, makes provider-specific assertions on the final state.
	Check func(t *testing.T, st *state.File)
}

// Exit codes of `evalplan plan -detailed-exitcode` (DESIGN §5).
const (
	exitOK      = 0
	exitChanges = 2
)

// Contract runs the shared provider contract on c, as the CLI would:
//
//  1. load the configuration (config.Load with the embedded catalog) and plan with refresh:
//     no errors, changes planned (-detailed-exitcode 2), and the same plan again when
//     planned twice (plans are deterministic);
//  2. save the plan (plan.MarshalPlan), read it back (plan.ReadPlan): the same bytes, and
//     verified (Engine.VerifySaved: not stale, and planning again gives the same actions);
//  3. apply the verified plan: no error diagnostics, no node errors, no failed check; each
//     planned run called its runner once and ended complete with the planned identity,
//     each planned export called its exporter once and is recorded under the run;
//  4. load again and re-plan: nothing to do (-detailed-exitcode 0);
//  5. apply that plan: no runner or exporter called, the state file unchanged (same serial,
//     same bytes);
//  6. the state round-trips: state.Marshal → state.Parse → state.Marshal gives the same
//     bytes, which are the file's, and state.Load of the file equals the store's snapshot;
//  7. c.Check on the final state.
//
// It stops the test at the first broken step.
func Contract(t *testing.T, c Case) {
	t.Helper()
	if c.Engine == nil {
		t.Fatal("plantest: Case.Engine is nil")
	}
	var runs, exports counter
	e := counted(c.Engine, &runs, &exports)

	cfg := Load(t, c.Dir, c.Vars, c.Environ)
	st, exists := readState(t, e, cfg.Settings.State)
	p := planned(t, e, cfg, st, exists)
	if code := detailedExitCode(p); code != exitChanges {
		t.Fatalf("first plan: -detailed-exitcode %d, want %d (changes): %+v", code, exitChanges, p.Summary)
	}
	if again := planned(t, e, cfg, st, exists); !bytes.Equal(marshalPlan(t, p), marshalPlan(t, again)) {
		t.Fatalf("planning twice gave different plans (-first +second):\n%s", cmp.Diff(string(marshalPlan(t, p)), string(marshalPlan(t, again))))
	}
	saved := verified(t, e, cfg, st, exists, savedPlan(t, p))

	store := state.NewStore(cfg.Settings.State, st)
	res, diags := e.Apply(t.Context(), cfg, saved, store, plan.ApplyOptions{})
	applied(t, "first apply", res, diags)
	checkFirstApply(t, saved, res, store.Snapshot(), runs.take(), exports.take())

	cfg = Load(t, c.Dir, c.Vars, c.Environ)
	st, exists = readState(t, e, cfg.Settings.State)
	if !exists {
		t.Fatalf("after apply: no state file at %s", cfg.Settings.State)
	}
	p = planned(t, e, cfg, st, exists)
	if code := detailedExitCode(p); code != exitOK {
		t.Fatalf("re-plan: -detailed-exitcode %d, want %d (no changes); pending:\n%s", code, exitOK, strings.Join(pending(p), "\n"))
	}
	if left := pending(p); len(left) > 0 {
		t.Fatalf("re-plan: summary says no changes, but actions are pending:\n%s", strings.Join(left, "\n"))
	}

	before := readFile(t, cfg.Settings.State)
	store = state.NewStore(cfg.Settings.State, st)
	res, diags = e.Apply(t.Context(), cfg, p, store, plan.ApplyOptions{})
	applied(t, "second apply", res, diags)
	if r, x := runs.take(), exports.take(); len(r)+len(x) > 0 {
		t.Fatalf("second apply called providers: runners %v, exporters %v", r, x)
	}
	final := store.Snapshot()
	if final.Serial != st.Serial {
		t.Fatalf("second apply: serial %d → %d, want unchanged", st.Serial, final.Serial)
	}
	if after := readFile(t, cfg.Settings.State); !bytes.Equal(before, after) {
		t.Fatalf("second apply rewrote the state (-before +after):\n%s", cmp.Diff(string(before), string(after)))
	}

	roundTrip(t, final, cfg.Settings.State)
	if c.Check != nil {
		c.Check(t, final)
	}
}

// Load loads the configuration in dir as the CLI does, with the embedded catalog, and
// stops the test on an error diagnostic. Providers that need the configuration (the
// container runner, the local exporter) use it to build the Case's engine.
func Load(t testing.TB, dir string, vars []config.VarArg, environ []string) *config.Config {
	t.Helper()
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatalf("load the catalog: %v", err)
	}
	cfg, diags := config.Load(dir, config.LoadOptions{Vars: vars, Environ: environ, Catalog: cat})
	if diags.HasErrors() {
		t.Fatalf("load %s: %v", dir, diags)
	}
	return cfg
}

// readState loads the state file; a missing one is a fresh state (exists false).
func readState(t *testing.T, e *plan.Engine, path string) (*state.File, bool) {
	t.Helper()
	st, err := state.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state.New(e.Version), false
	}
	if err != nil {
		t.Fatal(err)
	}
	return st, true
}

// planned plans with refresh, as `evalplan plan` does: a plan made before any state exists
// records no lineage.
func planned(t *testing.T, e *plan.Engine, cfg *config.Config, st *state.File, exists bool) *plan.Plan {
	t.Helper()
	p, diags := e.Plan(t.Context(), cfg, st, plan.Options{Refresh: true})
	if diags.HasErrors() || p == nil {
		t.Fatalf("plan: %v", diags)
	}
	if !exists {
		p.Lineage = ""
	}
	return p
}

// detailedExitCode is the exit status of `evalplan plan -detailed-exitcode` for p.
func detailedExitCode(p *plan.Plan) int {
	if p.Summary.Changes() {
		return exitChanges
	}
	return exitOK
}

// pending lists the actions of p that do something, one "action address (reason)" each.
func pending(p *plan.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		if a.Action != plan.ActionNone {
			out = append(out, fmt.Sprintf("  %s %s (%s)", a.Action, a.Address, a.Reason))
		}
	}
	return out
}

func marshalPlan(t *testing.T, p *plan.Plan) []byte {
	t.Helper()
	b, err := plan.MarshalPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// savedPlan writes p as `plan -out` does and reads it back as `apply PLANFILE` does; the
// plan read back must marshal to the same bytes.
func savedPlan(t *testing.T, p *plan.Plan) *plan.Plan {
	t.Helper()
	b := marshalPlan(t, p)
	path := filepath.Join(t.TempDir(), "saved.plan.json")
	if err := state.WriteAtomic(path, b); err != nil {
		t.Fatal(err)
	}
	back, err := plan.ReadPlan(path)
	if err != nil {
		t.Fatalf("read the saved plan: %v", err)
	}
	if b2 := marshalPlan(t, back); !bytes.Equal(b, b2) {
		t.Fatalf("the saved plan does not round-trip (-written +read back):\n%s", cmp.Diff(string(b), string(b2)))
	}
	return back
}

// verified checks a saved plan as `apply PLANFILE` does before applying it and returns the
// plan apply performs.
func verified(t *testing.T, e *plan.Engine, cfg *config.Config, st *state.File, exists bool, p *plan.Plan) *plan.Plan {
	t.Helper()
	cur := *st
	if !exists {
		cur.Lineage = ""
	}
	fresh, diags, err := e.VerifySaved(t.Context(), cfg, &cur, p)
	if diags.HasErrors() {
		t.Fatalf("verify the saved plan: %v", diags)
	}
	if err != nil {
		t.Fatalf("the saved plan is refused right after planning: %v", err)
	}
	return fresh
}

// applied checks what decides apply's exit status: no error diagnostic, no failed node,
// not interrupted, no failed check.
func applied(t *testing.T, what string, res *plan.ApplyResult, diags hcl.Diagnostics) {
	t.Helper()
	if diags.HasErrors() || res == nil {
		t.Fatalf("%s: %v", what, diags)
	}
	for _, d := range diags {
		t.Logf("%s: warning: %s: %s", what, d.Summary, d.Detail)
	}
	if len(res.Errors) > 0 || res.Interrupted {
		var lines []string
		for _, addr := range slices.Sorted(maps.Keys(res.Errors)) {
			lines = append(lines, fmt.Sprintf("  %s: %v", addr, res.Errors[addr]))
		}
		t.Fatalf("%s: failed nodes (interrupted %v):\n%s", what, res.Interrupted, strings.Join(lines, "\n"))
	}
	for _, c := range res.Checks {
		if c.Status == plan.CheckFail || c.Status == plan.CheckError {
			t.Errorf("%s: %s %s: %s", what, c.Address, c.Status, c.Message)
		}
	}
}

// runActions are the actions that call a runner.
var runActions = []plan.ActionType{plan.ActionRun, plan.ActionRerun, plan.ActionReplace, plan.ActionResume}

// checkFirstApply checks that every planned run ran once and completed with its planned
// identity, and that every planned export was made once and recorded; runs and exports are
// the providers' calls by address.
func checkFirstApply(t *testing.T, p *plan.Plan, res *plan.ApplyResult, st *state.File, runs, exports map[string]int) {
	t.Helper()
	wantRuns, wantExports := map[string]int{}, map[string]int{}
	for _, a := range p.Actions {
		switch {
		case slices.Contains(runActions, a.Action):
			wantRuns[a.Address] = 1
			checkRun(t, a, res, st)
		case a.Action == plan.ActionExport:
			wantExports[a.Address] = 1
			checkExport(t, a, st)
		}
	}
	if diff := cmp.Diff(wantRuns, runs); diff != "" {
		t.Errorf("runner calls by address (-planned +made):\n%s", diff)
	}
	if diff := cmp.Diff(wantExports, exports); diff != "" {
		t.Errorf("exporter calls by address (-planned +made):\n%s", diff)
	}
	if t.Failed() {
		t.FailNow()
	}
}

func checkRun(t *testing.T, a *plan.Action, res *plan.ApplyResult, st *state.File) {
	t.Helper()
	if got := res.Outcomes[a.Address]; got != state.StatusComplete {
		t.Errorf("%s: outcome %q, want %q", a.Address, got, state.StatusComplete)
	}
	r := st.Resources[a.Address]
	switch {
	case r == nil:
		t.Errorf("%s: not in state after apply", a.Address)
	case r.Type != "run" || r.Status != state.StatusComplete || r.Result == nil:
		t.Errorf("%s: state type %q status %q result %v, want a complete run with a result (error: %s)", a.Address, r.Type, r.Status, r.Result, r.Error)
	case r.Identity == "" || a.Identity != "" && r.Identity != a.Identity:
		t.Errorf("%s: state identity %q, planned %q", a.Address, r.Identity, a.Identity)
	case r.RunDir == "" || r.StartedAt == nil || r.FinishedAt == nil:
		t.Errorf("%s: state run_dir %q started_at %v finished_at %v, want all set", a.Address, r.RunDir, r.StartedAt, r.FinishedAt)
	}
}

func checkExport(t *testing.T, a *plan.Action, st *state.File) {
	t.Helper()
	xa, err := addrs.ParseExport(a.Address)
	if err != nil {
		t.Errorf("planned export %s: %v", a.Address, err)
		return
	}
	run := xa.Run.String()
	r := st.Resources[run]
	if r == nil {
		t.Errorf("%s: run %s not in state", a.Address, run)
		return
	}
	x, ok := r.Exports[xa.Exporter.String()]
	switch {
	case !ok:
		t.Errorf("%s: not recorded under %s (exports %v)", a.Address, run, r.Exports)
	case x.Error != "" || x.Ref == "" || x.Identity != r.Identity || x.At.IsZero():
		t.Errorf("%s: recorded as %+v, want a ref, identity %s, a time and no error", a.Address, x, r.Identity)
	}
}

// roundTrip checks that st, the store's snapshot, is what the file at path holds and that
// its encoding is canonical: Marshal → Parse → Marshal gives the same bytes.
func roundTrip(t *testing.T, st *state.File, path string) {
	t.Helper()
	b, err := state.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := state.Parse(b)
	if err != nil {
		t.Fatalf("parse marshalled state: %v", err)
	}
	b2, err := state.Marshal(parsed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("state does not round-trip (-marshalled +after parse):\n%s", cmp.Diff(string(b), string(b2)))
	}
	if disk := readFile(t, path); !bytes.Equal(disk, b) {
		t.Fatalf("state file differs from the store's snapshot (-file +snapshot):\n%s", cmp.Diff(string(disk), string(b)))
	}
	loaded, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, loaded); diff != "" {
		t.Fatalf("state.Load differs from the store's snapshot (-snapshot +loaded):\n%s", diff)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
