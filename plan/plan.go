package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/bounded"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/hashicorp/hcl/v2"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// FormatVersion is the version of the plan JSON document.
const FormatVersion = "1"

// ActionType is what a plan does to an address.
type ActionType string

// Actions of a plan entry.
const (
	ActionNone    ActionType = "none"
	ActionRun     ActionType = "run"
	ActionRerun   ActionType = "re-run"
	ActionReplace ActionType = "replace"
	ActionResume  ActionType = "resume"
	ActionReuse   ActionType = "reuse"
	ActionForget  ActionType = "forget"
	ActionExport  ActionType = "export"
)

// known reports whether a is one of the actions above.
func (a ActionType) known() bool {
	switch a {
	case ActionNone, ActionRun, ActionRerun, ActionReplace, ActionResume, ActionReuse, ActionForget, ActionExport:
		return true
	}
	return false
}

// work reports whether apply does something for the action.
func (a ActionType) work() bool { return a != ActionNone }

// runs reports whether the action performs its run (as opposed to copying or forgetting it).
func (a ActionType) runs() bool {
	switch a {
	case ActionRun, ActionRerun, ActionReplace, ActionResume:
		return true
	}
	return false
}

// Plan is a saved or displayed plan: the same versioned JSON document that `show -json`
// prints. It is deterministic for the same configuration, state and endpoints.
type Plan struct {
	FormatVersion   string                  `json:"format_version"`
	EvalplanVersion string                  `json:"evalplan_version"`
	Lineage         string                  `json:"lineage"`
	Serial          int64                   `json:"serial"`
	ConfigHash      string                  `json:"config_hash"`
	Variables       map[string]PlanVariable `json:"variables"`
	Fingerprints    map[string]Fingerprint  `json:"fingerprints"`
	Targets         []string                `json:"targets,omitempty"`
	Replace         []string                `json:"replace,omitempty"`
	Actions         []*Action               `json:"actions"`
	Services        []ServiceAction         `json:"services,omitempty"`
	Skipped         []Skip                  `json:"skipped,omitempty"`
	Checks          []CheckResult           `json:"checks,omitempty"`
	Warnings        []string                `json:"warnings,omitempty"`
	// Notes say what the plan knows but need not act on (artifacts not present here).
	Notes   []string `json:"notes,omitempty"`
	Summary Summary  `json:"summary"`
}

// PlanVariable is a variable's value in a plan; sensitive variables are stored by name only.
type PlanVariable struct {
	Value     any  `json:"value,omitempty"`
	Sensitive bool `json:"sensitive,omitempty"`
}

// Action is what a plan will do to one address.
type Action struct {
	Address   string     `json:"address"`
	Action    ActionType `json:"action"`
	Reason    string     `json:"reason,omitempty"`
	Suite     string     `json:"suite,omitempty"`
	Benchmark string     `json:"benchmark,omitempty"`
	Endpoint  string     `json:"endpoint,omitempty"`
	Identity  string     `json:"identity,omitempty"`
	Prior     string     `json:"prior_identity,omitempty"`
	ReuseFrom string     `json:"reuse_from,omitempty"`
	// Image is the image a container run pulls (after image_mirror), pinned by digest.
	Image   string   `json:"image,omitempty"`
	Changes []Change `json:"changes,omitempty"`
	Inputs  Inputs   `json:"inputs,omitempty"`
	// Note is what the runner says a reader should know of the run, such as the requests a
	// group task's limit_samples really makes (RunPlan.Note).
	Note string `json:"note,omitempty"`
	// Operational are the run's operational parameters: they never change its identity,
	// but a saved plan carries them so that apply does what the reviewer read.
	Operational *Operational `json:"operational,omitempty"`
	// Run is the planned run of a run action; apply performs it. Plans read from a file
	// have none: apply verifies them against a fresh plan and performs that one.
	Run *PlannedRun `json:"-"`
}

// Operational are a run's operational (O) parameters with their effective values.
type Operational struct {
	Parallelism    *int     `json:"parallelism,omitempty"`
	RequestTimeout *float64 `json:"request_timeout,omitempty"`
	MaxRetries     *int     `json:"max_retries,omitempty"`
	Timeout        *float64 `json:"timeout,omitempty"`
	Cache          *bool    `json:"cache,omitempty"`
}

func operational(p config.Params) *Operational {
	o := &Operational{Parallelism: p.Parallelism, RequestTimeout: p.RequestTimeout, MaxRetries: p.MaxRetries, Timeout: p.Timeout, Cache: p.Cache}
	if *o == (Operational{}) {
		return nil
	}
	return o
}

// ServiceAction is a managed endpoint that apply starts before its first run and stops
// after its last one.
type ServiceAction struct {
	Address string `json:"address"`
	Start   bool   `json:"start"`
	Stop    bool   `json:"stop"`
	// Settings are the server settings derived for this apply, each "name = value: reason"
	// (see ServicePlanner).
	Settings []string `json:"settings,omitempty"`
}

// Summary counts actions by kind.
type Summary struct {
	Run    int `json:"run"`
	Rerun  int `json:"rerun"`
	Resume int `json:"resume"`
	Reuse  int `json:"reuse"`
	Forget int `json:"forget"`
	Export int `json:"export"`
	None   int `json:"none"`
}

// Changes reports whether the plan would do anything.
func (s Summary) Changes() bool {
	return s.Run+s.Rerun+s.Resume+s.Reuse+s.Forget+s.Export > 0
}

// Options select what a plan considers.
type Options struct {
	// Refresh probes endpoints (default true in the CLI).
	Refresh bool
	// Targets limits the plan to these addresses and what they enclose.
	Targets []string
	// Replace forces a re-run of these addresses.
	Replace []string
}

// Plan computes the actions that bring state in line with the configuration.
// It writes nothing.
func (e *Engine) Plan(ctx context.Context, cfg *config.Config, st *state.File, opts Options) (*Plan, hcl.Diagnostics) {
	start := time.Now()
	defer func() { e.log().Debug("plan", "elapsed", time.Since(start).Round(time.Microsecond)) }()
	if err := CheckRunDirs(cfg, st); err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Run directory outside the output directory", Detail: err.Error()}}
	}
	fps, diags := e.refresh(ctx, cfg, priorFingerprints(st), opts.Refresh)
	if diags.HasErrors() {
		return nil, diags
	}
	runs, skips, warnings, d := e.expand(ctx, cfg, fps)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	p := &Plan{
		FormatVersion:   FormatVersion,
		EvalplanVersion: e.Version,
		Lineage:         st.Lineage,
		Serial:          st.Serial,
		ConfigHash:      ConfigHash(cfg),
		Variables:       planVariables(cfg),
		Fingerprints:    fps,
		Targets:         opts.Targets,
		Replace:         opts.Replace,
		Skipped:         skips,
		Warnings:        warnings,
	}
	p.Warnings = append(p.Warnings, e.kindWarnings(runs)...)
	if d := unmatched(cfg, runs, st, opts); len(d) > 0 {
		return nil, append(diags, d...)
	}
	inConfig := map[string]bool{}
	byIdentity := completedByIdentity(cfg, st)
	for _, r := range runs {
		addr := r.Addr.String()
		inConfig[addr] = true
		if !targeted(opts.Targets, addr) {
			continue
		}
		p.Actions = append(p.Actions, decide(cfg, st.Resources[addr], r, opts, byIdentity))
	}
	for _, addr := range slices.Sorted(maps.Keys(st.Resources)) {
		res := st.Resources[addr]
		if res.Type != "run" || inConfig[addr] || !targeted(opts.Targets, addr) {
			continue
		}
		p.Actions = append(p.Actions, &Action{Address: addr, Action: ActionForget, Reason: "no longer in the configuration; artifacts are kept", Identity: res.Identity})
	}
	p.Actions = append(p.Actions, planExports(cfg, st, runs, p.Actions, opts.Targets)...)
	sortActions(p.Actions)
	p.Notes = artifactNotes(p.Actions)
	p.Summary = summarize(p.Actions)
	p.Services = e.planServices(cfg, p.Actions)
	p.Warnings = append(p.Warnings, e.deriveServices(ctx, cfg, p.Services)...)
	if len(p.Services) > 0 && e.Services == nil {
		p.Warnings = append(p.Warnings, "managed endpoints (vllm, sglang or nim blocks) are not yet supported: apply will fail the runs that need them")
	}
	p.Checks = e.planChecks(cfg, st, p)
	return p, diags
}

// kindWarnings warns about runs whose runner is not available in this build.
func (e *Engine) kindWarnings(runs []*PlannedRun) []string {
	missing := map[RunnerKind]int{}
	for _, r := range runs {
		if m, ok := r.Runner.(missingRunner); ok {
			missing[m.Kind()]++
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(missing)) {
		out = append(out, fmt.Sprintf("%d %s benchmark run(s) are planned, but the %s runner is not yet supported: apply will fail them", missing[k], k, k))
	}
	return out
}

func targeted(targets []string, addr string) bool {
	if len(targets) == 0 {
		return true
	}
	for _, t := range targets {
		if addrs.MatchString(t, addr) {
			return true
		}
	}
	return false
}

// completedByIdentity maps identity → address of a complete run whose artifacts exist.
func completedByIdentity(cfg *config.Config, st *state.File) map[string]string {
	out := map[string]string{}
	for _, addr := range slices.Sorted(maps.Keys(st.Resources)) {
		res := st.Resources[addr]
		if res.Type == "run" && res.Status == state.StatusComplete && res.Result != nil && artifactsExist(cfg, res) {
			if _, ok := out[res.Identity]; !ok {
				out[res.Identity] = addr
			}
		}
	}
	return out
}

// artifactsExist reports whether a recorded run still has its results.json. A run directory
// outside the output directory is never read: its run has no artifacts.
func artifactsExist(cfg *config.Config, res *state.Resource) bool {
	if res.RunDir == "" {
		return false
	}
	dir, err := rundir.Resolve(cfg.Dir, cfg.Settings.OutputDir, res.RunDir)
	return err == nil && rundir.HasResults(dir)
}

// resolveRunDir resolves the run directory state records for addr, confined to the output
// directory ([rundir.Resolve]); the error names the address and the state file.
func resolveRunDir(cfg *config.Config, addr, recorded string) (string, error) {
	dir, err := rundir.Resolve(cfg.Dir, cfg.Settings.OutputDir, recorded)
	if err != nil {
		return "", fmt.Errorf("%s in %s: %w", addr, cfg.Settings.State, err)
	}
	return dir, nil
}

// CheckRunDirs refuses a state that records a run directory, current or in a run's history,
// outside the configured output directory: such a state was edited by hand or written for
// another configuration, and evalplan must not read, compare, report or upload what it
// points at.
func CheckRunDirs(cfg *config.Config, st *state.File) error {
	var errs []error
	for _, addr := range slices.Sorted(maps.Keys(st.Resources)) {
		res := st.Resources[addr]
		if res.Type != "run" {
			continue
		}
		if res.RunDir != "" {
			if _, err := resolveRunDir(cfg, addr, res.RunDir); err != nil {
				errs = append(errs, err)
			}
		}
		for _, h := range res.History {
			if h.RunDir != "" {
				if _, err := resolveRunDir(cfg, addr+" (history)", h.RunDir); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

func decide(cfg *config.Config, res *state.Resource, r *PlannedRun, opts Options, byIdentity map[string]string) *Action {
	in := r.PlainInputs()
	a := &Action{
		Address: r.Addr.String(), Suite: r.Addr.Suite, Benchmark: r.Addr.Benchmark, Endpoint: r.Addr.Endpoint,
		Identity: r.Identity, Inputs: in, Image: r.Plan.Pull, Note: r.Plan.Note, Operational: operational(r.Params), Run: r,
	}
	replace := false
	for _, p := range opts.Replace {
		if addrs.Match(p, r.Addr) {
			replace = true
		}
	}
	switch {
	case replace:
		a.Action, a.Reason = ActionReplace, "forced by -replace"
		if res != nil {
			a.Prior = res.Identity
		}
	case res == nil:
		if from, ok := byIdentity[r.Identity]; ok && r.Identity != "" {
			a.Action, a.ReuseFrom, a.Reason = ActionReuse, from, "a complete result with the same identity exists at "+from
			break
		}
		a.Action, a.Reason = ActionRun, "not yet run"
	case r.Identity == "" || res.Identity != r.Identity:
		a.Action, a.Prior = ActionRerun, res.Identity
		a.Changes = DiffInputs(Inputs(res.Inputs), in)
		a.Reason = "identity changed"
		switch {
		case r.runtimePending():
			a.Reason = ReasonKnownAfterPrepare
		case r.Identity == "":
			a.Reason = "dataset identity known after fetch"
		}
		if from, ok := byIdentity[r.Identity]; ok && r.Identity != "" {
			a.Action, a.ReuseFrom = ActionReuse, from
		}
	case res.Status == state.StatusPartial || res.Status == state.StatusRunning:
		a.Action, a.Prior = ActionResume, res.Identity
		a.Reason = "last run " + map[state.Status]string{state.StatusPartial: "ended partial", state.StatusRunning: "was interrupted"}[res.Status] + ": " + resumeNote(r) + replayCount(cfg, r, res)
	case res.Status == state.StatusFailed:
		a.Action, a.Prior, a.Reason = ActionRerun, res.Identity, "last attempt failed"
		if res.Error != "" {
			a.Reason += ": " + firstLine(res.Error)
		}
	case !artifactsExist(cfg, res):
		// A state committed to version control is used where output/ is not: the recorded
		// result is the run's result, so the run is up to date (docs/decisions.md).
		a.Action, a.Reason = ActionNone, ReasonArtifactsAbsent
	default:
		a.Action, a.Reason = ActionNone, ""
	}
	return a
}

// ReasonKnownAfterPrepare is the reason of a recorded run whose environment is not
// prepared: apply prepares it, then compares the identity with the recorded one and runs
// only when it differs.
const ReasonKnownAfterPrepare = "identity known after the environment is prepared"

// ReasonArtifactsAbsent is the reason of a complete run whose recorded result is up to
// date but whose run directory (results.json, samples.jsonl) is not present here.
const ReasonArtifactsAbsent = "artifacts not present here"

// replayCount says how many answered requests a run that replays has recorded, "" when
// none (or the run does not replay).
func replayCount(cfg *config.Config, r *PlannedRun, res *state.Resource) string {
	if !r.Plan.Replays || cfg == nil || res.RunDir == "" {
		return ""
	}
	dir, err := rundir.Resolve(cfg.Dir, cfg.Settings.OutputDir, res.RunDir)
	if err != nil {
		return ""
	}
	n, _ := rundir.AnsweredRequests(dir)
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d answered request(s) recorded)", n)
}

// resumeNote says what a resume requests: only what is missing for a runner that resumes
// from its journal, everything again for one that cannot.
func resumeNote(r *PlannedRun) string {
	switch {
	case r.Plan.Resumable:
		return "only missing or errored samples will be requested"
	case r.Plan.Replays:
		return "the harness starts over; requests an earlier attempt got answered are replayed from its request journal, only the rest go to the model"
	}
	return "this kind of run cannot resume: it will be run again from the start"
}

// artifactNotes notes the up-to-date runs whose artifacts are not present here, so that
// a fresh clone of a committed state says what it lacks without re-running anything.
func artifactNotes(actions []*Action) []string {
	var absent []string
	for _, a := range actions {
		if a.Action == ActionNone && a.Reason == ReasonArtifactsAbsent {
			absent = append(absent, a.Address)
		}
	}
	if len(absent) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d up-to-date run(s) have no artifacts here (results.json, samples.jsonl); their recorded results are used. Re-create them with apply -replace=ADDRESS: %s", len(absent), strings.Join(absent, ", "))}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func summarize(actions []*Action) Summary {
	var s Summary
	for _, a := range actions {
		switch a.Action {
		case ActionRun:
			s.Run++
		case ActionRerun, ActionReplace:
			s.Rerun++
		case ActionResume:
			s.Resume++
		case ActionReuse:
			s.Reuse++
		case ActionForget:
			s.Forget++
		case ActionExport:
			s.Export++
		default:
			s.None++
		}
	}
	return s
}

// priorFingerprints reads recorded endpoint fingerprints from state.
func priorFingerprints(st *state.File) map[string]Fingerprint {
	out := map[string]Fingerprint{}
	for addr, res := range st.Resources {
		ep, err := addrs.ParseEndpoint(addr)
		if err != nil || res.Type != "endpoint" {
			continue
		}
		name := ep.Name
		b, err := json.Marshal(res.Inputs)
		if err != nil {
			continue
		}
		var fp Fingerprint
		if json.Unmarshal(b, &fp) == nil {
			out[name] = fp
		}
	}
	return out
}

// ConfigHash is the sha256 over the sorted (path, sha256) pairs of every configuration and
// variable file.
func ConfigHash(cfg *config.Config) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(cfg.Files)) {
		sum := sha256.Sum256(cfg.Files[name])
		fmt.Fprintf(h, "%s  %s\n", hex.EncodeToString(sum[:]), filepath.ToSlash(name))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// planVariables records variable values; sensitive ones by name only.
func planVariables(cfg *config.Config) map[string]PlanVariable {
	out := map[string]PlanVariable{}
	for name, v := range cfg.Variables {
		if v.Sensitive {
			out[name] = PlanVariable{Sensitive: true}
			continue
		}
		val, _ := v.Value.UnmarkDeep()
		b, err := ctyjson.Marshal(val, val.Type())
		if err != nil {
			continue
		}
		var plain any
		if json.Unmarshal(b, &plain) == nil {
			out[name] = PlanVariable{Value: plain}
		}
	}
	return out
}

// MarshalPlan returns the plan's deterministic JSON with a trailing newline.
func MarshalPlan(p *Plan) ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadPlan reads a saved plan file.
func ReadPlan(path string) (*Plan, error) {
	b, err := bounded.ReadFile(path, bounded.Plan, "saved plan")
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not an evalplan plan file: %w", path, err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s has plan format %q; this evalplan reads format %q", path, p.FormatVersion, FormatVersion)
	}
	return &p, nil
}

// planServices lists the managed endpoints that runs with work to do need.
func (e *Engine) planServices(cfg *config.Config, actions []*Action) []ServiceAction {
	need := map[string]bool{}
	for _, a := range actions {
		if a.Run != nil && a.Action.runs() && a.Run.Endpoint.Managed() {
			need[a.Run.Endpoint.Name] = true
		}
	}
	var out []ServiceAction
	for _, name := range slices.Sorted(maps.Keys(need)) {
		out = append(out, ServiceAction{Address: addrs.Endpoint{Name: name}.String(), Start: true, Stop: !cfg.Endpoints[name].Server.KeepRunning})
	}
	return out
}

// deriveServices fills in the derived settings of the managed endpoints to start, when the
// Services provider derives them, and returns its warnings.
func (e *Engine) deriveServices(ctx context.Context, cfg *config.Config, svcs []ServiceAction) []string {
	sp, ok := e.Services.(ServicePlanner)
	if !ok {
		return nil
	}
	var warnings []string
	for i := range svcs {
		name := strings.TrimPrefix(svcs[i].Address, "endpoint.")
		settings, w := sp.PlanService(ctx, cfg.Endpoints[name])
		svcs[i].Settings = settings
		warnings = append(warnings, w...)
	}
	return warnings
}

// unmatched reports -target and -replace addresses that select nothing, so a typo never
// turns into an empty plan that a CI gate would take for "up to date".
func unmatched(cfg *config.Config, runs []*PlannedRun, st *state.File, opts Options) hcl.Diagnostics {
	all := make([]string, 0, len(runs)+len(st.Resources))
	for _, r := range runs {
		all = append(all, r.Addr.String())
	}
	for a, res := range st.Resources {
		if res.Type == "run" {
			all = append(all, a)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Exporters)) {
		x := exporterAddr(cfg.Exporters[key])
		for _, r := range runs {
			all = append(all, addrs.Export{Exporter: x, Run: r.Addr}.String())
		}
	}
	var diags hcl.Diagnostics
	check := func(flag string, patterns []string) {
		for _, p := range patterns {
			found := false
			for _, a := range all {
				if addrs.MatchString(p, a) {
					found = true
					break
				}
			}
			if !found {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "No such address",
					Detail:   fmt.Sprintf("-%s=%s matches no run in the configuration or the state. Addresses look like suite.NAME.run[\"BENCHMARK\"][\"ENDPOINT\"]; list them with 'evalplan graph' or 'evalplan state list'.", flag, p),
				})
			}
		}
	}
	check("target", opts.Targets)
	check("replace", opts.Replace)
	return diags
}

// sortActions orders actions by address, each export right after the run it exports, so a
// reader meets a run before what follows from it.
func sortActions(actions []*Action) {
	key := func(a *Action) string {
		if x, err := addrs.ParseExport(a.Address); err == nil {
			return x.Run.String() + "\x00" + a.Address
		}
		return a.Address
	}
	sort.SliceStable(actions, func(i, j int) bool { return key(actions[i]) < key(actions[j]) })
}

// ForgetsEveryRun reports whether p forgets every run st records (and st records at least
// one): the plan of a configuration that no longer declares anything evaluated. Applying it
// without review loses the record of every result, so apply -auto-approve refuses it unless
// asked explicitly.
func (p *Plan) ForgetsEveryRun(st *state.File) bool {
	runs := 0
	for _, res := range st.Resources {
		if res.Type == "run" {
			runs++
		}
	}
	return runs > 0 && p.Summary.Forget >= runs
}
