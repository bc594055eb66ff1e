package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
)

func cmdApply(c *cli, args []string) int {
	var (
		f           planFlags
		autoApprove bool
		forgetAll   bool
		parallelism int
		noCache     bool
		cancelJobs  bool
	)
	fs := newFlagSet(c, "apply", "apply [options] [PLANFILE]")
	f.registerVars(fs)
	f.registerInput(fs)
	f.registerLock(fs)
	fs.Var(&f.targets, "target", "apply only this address and what it encloses (repeatable)")
	fs.Var(&f.replace, "replace", "force a re-run of this address (repeatable)")
	fs.BoolVar(&f.refresh, "refresh", true, "probe endpoints; -refresh=false uses recorded fingerprints")
	fs.BoolVar(&autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&forgetAll, "allow-forget-all", false, "let -auto-approve forget every run the state records")
	fs.IntVar(&parallelism, "parallelism", 0, "graph nodes at work at once (default: the evalplan block's parallelism)")
	fs.BoolVar(&noCache, "no-cache", false, "do not read or write the response cache")
	fs.BoolVar(&cancelJobs, "cancel-on-interrupt", false, "on Ctrl-C, cancel the runs' cluster jobs (they end partial and resume); without it they keep running and the next apply re-attaches")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	askOnInterrupt := f.input && c.stdinTTY && !cancelJobs
	if len(pos) > 1 {
		fmt.Fprintf(c.stderr, "Error: apply takes at most one PLANFILE, got %q\n", pos)
		return exitError
	}
	if parallelism < 0 {
		fmt.Fprintln(c.stderr, "Error: -parallelism must be at least 1")
		return exitError
	}
	color := c.useColor(f.noColor)

	var saved *plan.Plan
	if len(pos) == 1 {
		p, err := plan.ReadPlan(c.abs(pos[0]))
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		vars, err := savedVars(p, f.vars, c.environ)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		f.vars = vars
		f.input = false // a saved plan carries its variables; as Terraform, never ask
		saved = p
	}
	s, code, ok := c.open(&f.commonFlags, append([]string{"apply"}, args...))
	if !ok {
		return code
	}
	defer s.release()
	l, st, exists := s.loaded, s.state, s.exists
	x, clustered := l.engine.Executor.(*executors)
	if clustered && cancelJobs {
		x.cancelOnInterrupt()
	}

	var p *plan.Plan
	if saved != nil {
		if p, ok = c.verifySaved(l, st, exists, saved, color); !ok {
			return exitError
		}
	} else {
		var code int
		p, code, ok = c.makePlan(l, st, exists, &f, color)
		if !ok {
			return code
		}
		plan.Render(c.stdout, p, color)
		if autoApprove && !forgetAll && p.ForgetsEveryRun(st) {
			fmt.Fprintf(c.stderr, "\nError: this plan forgets every run %s records (%d), and -auto-approve does not approve that.\nCheck that the configuration in %s still declares its suites; to forget them all on purpose, add -allow-forget-all, or apply without -auto-approve and answer yes.\n",
				rel(c.dir, l.cfg.Settings.State), p.Summary.Forget, c.dir)
			return exitError
		}
		if p.Summary.Changes() && !autoApprove {
			if !c.stdinTTY {
				fmt.Fprintln(c.stderr, "\nError: apply needs confirmation, and standard input is not a terminal.\nRun 'evalplan apply -auto-approve', or save a plan with 'evalplan plan -out=FILE' and apply that.")
				return exitError
			}
			fmt.Fprint(c.stdout, "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
			line, _ := bufio.NewReader(c.stdin).ReadString('\n')
			if strings.TrimSpace(line) != "yes" {
				fmt.Fprintln(c.stdout, "\nApply cancelled.")
				return exitError
			}
		}
	}
	store := state.NewStore(l.cfg.Settings.State, st)
	prog := newProgress(c, color)
	if clustered && askOnInterrupt {
		c.interrupts.setAsk(func(msg string) { c.askCancelJobs(x, prog, msg) })
		defer c.interrupts.setAsk(nil)
	}
	res, diags := l.engine.Apply(c.ctx, l.cfg, p, store, plan.ApplyOptions{Parallelism: parallelism, NoCache: noCache, Progress: prog})
	prog.Stop()
	if err := l.close(c.ctx); err != nil {
		fmt.Fprintln(c.stderr, "Warning:", err)
	}
	if len(diags) > 0 {
		c.printDiags(l.cfg.HCLFiles(), diags, color)
	}
	if res == nil {
		return exitError
	}
	return c.reportApply(l, store.Snapshot(), p, res, color)
}

// askCancelJobs is the first Ctrl-C of an apply on a terminal with cluster jobs in
// flight: it asks whether to cancel them. Yes cancels them as -cancel-on-interrupt does
// (their runs end partial and resume); no, or just Enter, leaves them running for the next
// apply to re-attach. With no job in flight it prints msg, as any interrupt does.
func (c *cli) askCancelJobs(x *executors, out io.Writer, msg string) {
	n := x.active()
	if n == 0 {
		fmt.Fprintln(c.stderr, msg)
		return
	}
	jobs, its, runs := fmt.Sprintf("%d slurm jobs", n), "their", "runs end"
	if n == 1 {
		jobs, its, runs = "1 slurm job", "its", "run ends"
	}
	// The question goes through the progress display (out), whose live bars would redraw
	// over it if it were written beside them: on its own lines above them.
	fmt.Fprintf(out, "\nInterrupt received (Ctrl-C again exits at once and leaves the jobs running).\nCancel %s? [y/N]\n", strings.Replace(jobs, " slurm", " running slurm", 1))
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	answer := fmt.Sprintf("Leaving %s running: the next apply re-attaches.", jobs)
	if a := strings.ToLower(strings.TrimSpace(line)); a == "y" || a == "yes" {
		x.cancelOnInterrupt()
		answer = fmt.Sprintf("Cancelling %s: %s %s partial; apply again to resume.", jobs, its, runs)
	}
	// The display may stop before it writes again: the answer goes straight to the terminal,
	// a blank line after it because the bars redraw from one line up.
	fmt.Fprintf(c.stderr, "%s\n\n", answer)
}

// verifySaved refuses a saved plan that no longer matches the state, files or endpoints, or
// whose actions differ from planning again; it returns the fresh plan apply performs.
func (c *cli) verifySaved(l *loaded, st *state.File, exists bool, saved *plan.Plan, color bool) (*plan.Plan, bool) {
	cur := *st
	if !exists {
		cur.Lineage = ""
	}
	p, diags, err := l.engine.VerifySaved(c.ctx, l.cfg, &cur, saved)
	if diags.HasErrors() {
		c.printDiags(l.cfg.HCLFiles(), diags, color)
		return nil, false
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return nil, false
	}
	return p, true
}

// savedVars turns the non-sensitive variables stored in a plan into -var arguments (before
// the command line's own), and checks that every sensitive one is supplied again.
func savedVars(p *plan.Plan, cmdline []config.VarArg, environ []string) ([]config.VarArg, error) {
	given := map[string]bool{}
	for _, v := range cmdline {
		if v.Name != "" {
			given[v.Name] = true
		}
	}
	env := map[string]bool{}
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok {
			env[k] = true
		}
	}
	var out []config.VarArg
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(p.Variables)) {
		v := p.Variables[name]
		if v.Sensitive {
			if !given[name] && !env["EVALPLAN_VAR_"+name] {
				missing = append(missing, name)
			}
			continue
		}
		if s, ok := v.Value.(string); ok {
			out = append(out, config.VarArg{Name: name, Value: s})
			continue
		}
		b, err := json.Marshal(v.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, config.VarArg{Name: name, Value: string(b)})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the saved plan uses sensitive variable(s) %s, which plans never store: set them again with -var or EVALPLAN_VAR_NAME", strings.Join(missing, ", "))
	}
	return append(out, cmdline...), nil
}
