package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/slurm"
)

// executors hands each run to the executor its suite chose: the local one, or a cluster's.
type executors struct {
	local   plan.Executor
	byBlock map[string]plan.Executor // "TYPE.NAME" → executor
}

// executorsFor wires the configuration's executor blocks; nil when it declares none.
func executorsFor(cfg *config.Config) plan.Executor {
	if len(cfg.Executors) == 0 {
		return nil
	}
	x := &executors{local: plan.LocalExecutor{}, byBlock: map[string]plan.Executor{}}
	vars := plainVars(cfg)
	for key, e := range cfg.Executors {
		s := &slurm.Executor{Config: e, ConfigDir: cfg.Dir, Vars: vars}
		if e.SSH != nil {
			s.Runner = slurm.NewSSHRunner(e.SSH)
		}
		x.byBlock[key] = s
	}
	return x
}

// plainVars are the values of cfg's variables that are not sensitive, as -var arguments
// (strings as they are, other types as JSON, which HCL reads back), sorted by name.
func plainVars(cfg *config.Config) []config.VarArg {
	var out []config.VarArg
	for _, name := range slices.Sorted(maps.Keys(cfg.Variables)) {
		v := cfg.Variables[name]
		val, _ := v.Value.UnmarkDeep()
		if v.Sensitive || val.IsNull() || !val.IsWhollyKnown() {
			continue
		}
		if val.Type() == cty.String {
			out = append(out, config.VarArg{Name: name, Value: val.AsString()})
			continue
		}
		b, err := ctyjson.Marshal(val, val.Type())
		if err != nil {
			continue
		}
		out = append(out, config.VarArg{Name: name, Value: string(b)})
	}
	return out
}

// cancelOnInterrupt makes every cluster executor cancel its jobs when apply is interrupted.
func (x *executors) cancelOnInterrupt() {
	for _, e := range x.byBlock {
		if s, ok := e.(*slurm.Executor); ok {
			s.SetCancelOnInterrupt(true)
		}
	}
}

// active is the number of runs the cluster executors are submitting or waiting for.
func (x *executors) active() int {
	n := 0
	for _, e := range x.byBlock {
		if s, ok := e.(*slurm.Executor); ok {
			n += s.Active()
		}
	}
	return n
}

// Close closes the cluster executors' connections (SSH).
func (x *executors) Close() error {
	var errs []error
	for _, e := range x.byBlock {
		if s, ok := e.(*slurm.Executor); ok {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// Execute implements plan.Executor.
func (x *executors) Execute(ctx context.Context, job *plan.Job, progress plan.Progress) (*plan.Outcome, error) {
	if e := x.byBlock[job.Run.Executor]; e != nil {
		return e.Execute(ctx, job, progress)
	}
	return x.local.Execute(ctx, job, progress)
}

// cmdRunJob is the hidden `evalplan __run-job SPECFILE` a cluster job runs on its node: it
// loads the configuration the spec names, carries out exactly the planned run it describes
// and writes the outcome next to the spec. Secrets come from the job's environment.
func cmdRunJob(c *cli, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(c.stderr, "Error: usage: evalplan __run-job SPECFILE")
		return exitError
	}
	spec, err := slurm.ReadSpec(args[0])
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	jobID := os.Getenv("SLURM_JOB_ID")
	if task := os.Getenv("SLURM_ARRAY_TASK_ID"); task != "" {
		// A task of an array: apply knows it as ARRAYID_TASK.
		jobID = os.Getenv("SLURM_ARRAY_JOB_ID") + "_" + task
	}
	fail := func(err error) int {
		fmt.Fprintln(c.stderr, "Error:", err)
		if werr := slurm.WriteOutcome(spec, jobID, &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}); werr != nil {
			fmt.Fprintln(c.stderr, "Error: write outcome:", werr)
		}
		return exitError
	}
	c.dir = spec.ConfigDir
	// The variables apply had (sensitive ones come from this node's environment).
	l, ok := c.load(&commonFlags{vars: spec.Vars})
	if !ok {
		return fail(fmt.Errorf("the configuration in %s does not load on this node", spec.ConfigDir))
	}
	if n, _ := strconv.Atoi(os.Getenv("SLURM_RESTART_COUNT")); n > 0 {
		// Requeued (scontrol requeue, preemption): carry on from the journal.
		spec.Run.Resume = true
	}
	out, err := l.engine.RunRemote(c.ctx, l.cfg, spec.Run, nil)
	if out == nil {
		return fail(err)
	}
	if err := slurm.WriteOutcome(spec, jobID, out); err != nil {
		return fail(err)
	}
	b, _ := json.Marshal(map[string]any{"address": spec.Run.Address, "status": out.Status, "error": out.Error})
	fmt.Fprintln(c.stdout, string(b))
	if out.Status != state.StatusComplete {
		return exitError
	}
	return exitOK
}
