package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/plan/status"
	"github.com/hashicorp/hcl/v2"
)

// cmdStatus reports whether everything the plan's work needs is ready: exit 0 when it is. It
// plans as apply would, works out what that plan needs (plan.NeedsOf) and asks every provider
// that implements plan.Checker; the providers hold the checks, this file only formats them.
func cmdStatus(c *cli, args []string) int {
	var (
		f       commonFlags
		asJSON  bool
		refresh bool
	)
	fs := newFlagSet(c, "status", "status [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&refresh, "refresh", true, "probe endpoints; -refresh=false skips the probes and plans from recorded fingerprints")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(c.stderr, "Error: status takes no arguments, got %q\n", pos)
		return exitError
	}
	l, ok := c.load(&f)
	if !ok {
		return exitError
	}
	defer l.close(c.ctx)
	r := status.NewReport()
	p, refreshFailed := c.statusPlan(l, r, refresh)
	if p != nil {
		needs := plan.NeedsOf(l.cfg, p)
		needs.NoRefresh = !refresh
		for _, ch := range checkers(l.engine) {
			for _, line := range ch.Check(c.ctx, l.cfg, needs) {
				r.Add(line)
			}
		}
		if refreshFailed != "" && r.Ready {
			// No provider explained why the refresh failed; apply would fail the same way.
			r.Add(status.Check{Section: status.SectionPlan, Name: "refresh", Mark: status.NotReady, Detail: refreshFailed,
				Fix: "run 'evalplan plan' for the details"})
		}
	}
	c.statusState(r, l)
	if p != nil {
		addPlanLine(r, p)
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
	} else if err := r.WriteText(c.stdout, c.useColor(f.noColor)); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if !r.Ready {
		return exitError
	}
	return exitOK
}

// checkers are the engine's providers that implement plan.Checker, in a fixed order:
// endpoints, services, datasets, runners by kind, exporters by type.
func checkers(e *plan.Engine) []plan.Checker {
	all := []any{e.Endpoints, e.Services, e.Datasets}
	for _, k := range slices.Sorted(maps.Keys(e.Runners)) {
		all = append(all, e.Runners[k])
	}
	for _, k := range slices.Sorted(maps.Keys(e.Exporters)) {
		all = append(all, e.Exporters[k])
	}
	var out []plan.Checker
	for _, p := range all {
		if ch, ok := p.(plan.Checker); ok {
			out = append(out, ch)
		}
	}
	return out
}

// statusPlan makes the plan apply would make. When refreshing fails (an endpoint does not
// answer), it plans from the recorded fingerprints instead, so that the providers can still
// say what the work needs, and returns the refresh's first error.
func (c *cli) statusPlan(l *loaded, r *status.Report, refresh bool) (*plan.Plan, string) {
	st, _, err := c.readState(l.cfg.Settings.State)
	if err != nil {
		return nil, "" // statusState reports it
	}
	p, diags := l.engine.Plan(c.ctx, l.cfg, st, plan.Options{Refresh: refresh})
	refreshFailed := ""
	if refresh && (diags.HasErrors() || p == nil) {
		refreshFailed = firstError(diags)
		p, diags = l.engine.Plan(c.ctx, l.cfg, st, plan.Options{Refresh: false})
	}
	if diags.HasErrors() || p == nil {
		r.Add(status.Check{Section: status.SectionPlan, Name: "plan", Mark: status.NotReady, Detail: firstError(diags), Fix: "run 'evalplan plan' for the details"})
		return nil, ""
	}
	return p, refreshFailed
}

// firstError is the first error of diags as one line: "Summary: Detail".
func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Detail != "" {
			return d.Summary + ": " + d.Detail
		}
		return d.Summary
	}
	return "the plan failed"
}

func addPlanLine(r *status.Report, p *plan.Plan) {
	s := p.Summary
	r.Plan = &s
	detail := status.DescribePlan(s)
	if !s.Changes() {
		r.Add(status.Check{Section: status.SectionPlan, Name: "plan", Mark: status.Ready, Detail: "nothing to do: " + detail})
		return
	}
	r.Add(status.Check{Section: status.SectionPlan, Name: "plan", Mark: status.Info, Detail: detail + " ('evalplan plan' shows why)"})
}

// statusState summarises the state and says whether a process holds its lock.
func (c *cli) statusState(r *status.Report, l *loaded) {
	path := l.cfg.Settings.State
	name := rel(c.dir, path)
	st, exists, err := c.readState(path)
	if err != nil {
		r.Add(status.Check{Section: status.SectionState, Name: name, Mark: status.NotReady, Detail: err.Error()})
		return
	}
	r.State = status.Summarize(st, exists)
	h, held, err := status.LockHolder(path)
	if err != nil {
		r.Add(status.Check{Section: status.SectionState, Name: "lock", Mark: status.NotReady, Detail: err.Error()})
		return
	}
	r.Add(status.Check{Section: status.SectionState, Name: name, Mark: status.Ready, Detail: status.DescribeState(r.State)})
	c.statusJobs(r, l.cfg, st)
	if held {
		r.Lock = &h
		r.Add(status.Check{Section: status.SectionState, Name: "lock", Mark: status.NotReady,
			Detail: "held by " + status.DescribeHolder(h),
			Fix:    "wait for it to finish (watch it with 'evalplan monitor'); a second apply would exit 5"})
		return
	}
	r.Add(status.Check{Section: status.SectionState, Name: "lock", Mark: status.Ready, Detail: "free"})
	if s := r.State; s.Partial+s.Failed+s.Running > 0 {
		r.Add(status.Check{Section: status.SectionState, Name: "unfinished", Mark: status.Info,
			Detail: unfinished(s)})
	}
}

// unfinished says what the next apply does with runs that did not complete.
func unfinished(s status.StateSummary) string {
	var parts []string
	if s.Running > 0 {
		parts = append(parts, fmt.Sprintf("%d interrupted", s.Running))
	}
	if s.Partial > 0 {
		parts = append(parts, fmt.Sprintf("%d partial", s.Partial))
	}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	}
	return strings.Join(parts, ", ") + ": the next apply resumes interrupted and partial runs and re-runs failed ones"
}

// statusJobs adds a line for every run recorded as running with a cluster job: the job's
// id, state, node and elapsed time from one squeue call.
func (c *cli) statusJobs(r *status.Report, cfg *config.Config, st *state.File) {
	var runs []status.Run
	var ids []string
	for addr, res := range st.Resources {
		if res.Type == "run" && res.Job != "" && res.Status == state.StatusRunning {
			runs = append(runs, status.Run{Address: addr, Job: &status.ClusterJob{ID: res.Job}})
			ids = append(ids, res.Job)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Address < runs[j].Address })
	fillJobs(c.ctx, cfg, runs, ids)
	for _, run := range runs {
		r.Add(status.Check{Section: status.SectionState, Name: run.Address, Mark: status.Info, Detail: "slurm job " + status.DescribeJob(*run.Job)})
	}
}
