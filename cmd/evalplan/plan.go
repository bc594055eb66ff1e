package main

import (
	"fmt"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/state"
)

type planFlags struct {
	commonFlags
	out      string
	json     bool
	detailed bool
	targets  stringsFlag
	replace  stringsFlag
	refresh  bool
}

func cmdPlan(c *cli, args []string) int {
	var f planFlags
	fs := newFlagSet(c, "plan", "plan [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	f.registerLock(fs)
	fs.StringVar(&f.out, "out", "", "write the plan to FILE for a later 'evalplan apply FILE'")
	fs.BoolVar(&f.json, "json", false, "print the plan as JSON")
	fs.BoolVar(&f.detailed, "detailed-exitcode", false, "exit 0 when nothing changes, 2 when something would")
	fs.Var(&f.targets, "target", "plan only this address and what it encloses (repeatable)")
	fs.Var(&f.replace, "replace", "force a re-run of this address (repeatable)")
	fs.BoolVar(&f.refresh, "refresh", true, "probe endpoints; -refresh=false uses recorded fingerprints")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(c.stderr, "Error: plan takes no arguments, got %q\n", pos)
		return exitError
	}
	color := c.useColor(f.noColor)
	s, code, ok := c.open(&f.commonFlags, append([]string{"plan"}, args...))
	if !ok {
		return code
	}
	defer s.release()
	l, st, exists := s.loaded, s.state, s.exists
	p, code, ok := c.makePlan(l, st, exists, &f, color)
	if !ok {
		return code
	}
	if f.out != "" {
		b, err := plan.MarshalPlan(p)
		if err == nil {
			err = outputTarget{Flag: "-out", Path: c.abs(f.out), State: l.cfg.Settings.State, Vars: f.vars}.write(c, b)
		}
		if err != nil {
			fmt.Fprintln(c.stderr, "Error: save plan:", err)
			return exitError
		}
	}
	if f.json {
		b, err := plan.MarshalPlan(p)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		c.stdout.Write(b)
	} else {
		plan.Render(c.stdout, p, color)
		if f.out != "" {
			fmt.Fprintf(c.stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n  evalplan apply %s\n", f.out, f.out)
		}
	}
	if f.detailed && p.Summary.Changes() {
		return exitChanges
	}
	return exitOK
}

// makePlan computes the plan against st, the state as read (exists false when there is no
// state file yet), printing diagnostics.
func (c *cli) makePlan(l *loaded, st *state.File, exists bool, f *planFlags, color bool) (*plan.Plan, int, bool) {
	// A task's unknown record field is reported before any request, not at its first record.
	if diags := c.checkRecordFields(l); len(diags) > 0 {
		c.printDiags(l.cfg.HCLFiles(), diags, color)
		return nil, exitError, false
	}
	p, diags := l.engine.Plan(c.ctx, l.cfg, st, plan.Options{Refresh: f.refresh, Targets: f.targets, Replace: f.replace})
	if len(diags) > 0 {
		c.printDiags(l.cfg.HCLFiles(), diags, color)
	}
	if diags.HasErrors() || p == nil {
		return nil, exitError, false
	}
	if !exists {
		p.Lineage = ""
	}
	return p, exitOK, true
}

func (c *cli) abs(p string) string {
	if isAbs(p) {
		return p
	}
	return c.dir + "/" + p
}
