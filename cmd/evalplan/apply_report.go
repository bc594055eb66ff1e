package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/graph"
	"github.com/evalplan/evalplan/plan/state"
)

// reportApply prints what an apply did and returns the exit code (DESIGN §5).
func (c *cli) reportApply(l *loaded, st *state.File, p *plan.Plan, res *plan.ApplyResult, color bool) int {
	counts := map[state.Status]int{}
	for _, s := range res.Outcomes {
		counts[s]++
	}
	fmt.Fprintln(c.stdout)
	for _, addr := range res.FailedAddrs() {
		err := res.Errors[addr]
		var up *graph.UpstreamError
		switch {
		case errors.As(err, &up):
			fmt.Fprintf(c.stderr, "Skipped: %s: %v\n", addr, err)
		case errors.Is(err, graph.ErrNotStarted):
			fmt.Fprintf(c.stderr, "Not started: %s (interrupted)\n", addr)
		default:
			status := res.Outcomes[addr]
			if status == "" {
				status = "failed"
			}
			fmt.Fprintf(c.stderr, "Error: %s %s: %v\n", addr, status, err)
		}
	}
	verb := "Apply complete!"
	if res.Interrupted {
		verb = "Apply interrupted."
	} else if len(res.Errors) > 0 {
		verb = "Apply finished with errors."
	}
	fmt.Fprintf(c.stdout, "%s Runs: %d complete, %d partial, %d failed", verb, counts[state.StatusComplete], counts[state.StatusPartial], counts[state.StatusFailed])
	if n := skippedRuns(res); n > 0 {
		fmt.Fprintf(c.stdout, ", %d skipped", n)
	}
	fmt.Fprint(c.stdout, ".")
	if p.Summary.Forget > 0 {
		fmt.Fprintf(c.stdout, " Forgotten: %d.", p.Summary.Forget)
	}
	fmt.Fprintln(c.stdout)
	for _, addr := range slices.Sorted(maps.Keys(res.Outcomes)) {
		r := st.Resources[addr]
		if r == nil || !r.Result.Scored() {
			continue
		}
		m := r.Result.Metrics[r.Result.Primary]
		fmt.Fprintf(c.stdout, "  %s: %s = %s (%s, errors=%d)\n", addr, r.Result.Primary, formatScore(m.Value, m.Stderr), r.Result.NText(), r.Result.Errors)
	}
	if n := exported(p, res); n > 0 {
		fmt.Fprintf(c.stdout, "Exported %d result(s).\n", n)
	}
	if len(res.Outcomes) > 0 {
		fmt.Fprintf(c.stdout, "Results are in %s (run directories) and %s (summary).\n", rel(c.dir, l.cfg.Settings.OutputDir), rel(c.dir, l.cfg.Settings.State))
	}
	checkFailed := false
	for _, ch := range res.Checks {
		switch ch.Status {
		case plan.CheckPass:
			fmt.Fprintf(c.stdout, "Check passed: %s\n", ch.Address)
		default:
			checkFailed = true
			fmt.Fprintf(c.stderr, "Check failed: %s: %s\n", ch.Address, ch.Message)
		}
	}
	printOutputs(c, st, color)
	switch {
	case res.Interrupted:
		return exitInterrupted
	case len(res.Errors) > 0:
		return exitError
	case checkFailed:
		return exitCheckFailed
	}
	return exitOK
}

func printOutputs(c *cli, st *state.File, color bool) {
	if len(st.Outputs) == 0 {
		return
	}
	fmt.Fprintln(c.stdout, "\nOutputs:")
	for _, name := range slices.Sorted(maps.Keys(st.Outputs)) {
		fmt.Fprintf(c.stdout, "  %s = %s\n", name, renderOutput(st.Outputs[name]))
	}
}

// exported counts the export actions of a plan that succeeded.
func exported(p *plan.Plan, res *plan.ApplyResult) int {
	n := 0
	for _, a := range p.Actions {
		if a.Action == plan.ActionExport && res.Errors[a.Address] == nil {
			n++
		}
	}
	return n
}

// skippedRuns counts the runs that never started: a dependency failed, or the apply was
// interrupted first.
func skippedRuns(res *plan.ApplyResult) int {
	n := 0
	for addr, err := range res.Errors {
		var up *graph.UpstreamError
		if _, perr := addrs.ParseRun(addr); perr == nil && (errors.As(err, &up) || errors.Is(err, graph.ErrNotStarted)) {
			n++
		}
	}
	return n
}
