package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	bcontainer "github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/providers/slurm"
	"github.com/evalplan/evalplan/schema"
)

// executors hands each run to the executor its suite chose: the local one, or a cluster's.
type executors struct {
	local   plan.Executor
	byBlock map[string]plan.Executor // "TYPE.NAME" → executor
}

// executorsFor wires the configuration's executor blocks; nil when it declares none.
// environ is the environment of the Python environments' installers (prepareRuntime).
func executorsFor(cfg *config.Config, environ []string) plan.Executor {
	if len(cfg.Executors) == 0 {
		return nil
	}
	x := &executors{local: plan.LocalExecutor{}, byBlock: map[string]plan.Executor{}}
	for key, e := range cfg.Executors {
		x.byBlock[key] = &slurm.Executor{Config: e, ConfigDir: cfg.Dir, Prepare: prepareRuntime(cfg, environ)}
	}
	return x
}

// runtimesDir is where the Python environments of a run's venv runtime live: under the
// shared_dir of the cluster executor the run goes to (SHARED_DIR/runtimes, which the
// submitting machine and the nodes see at the same path), else under the cache directory.
func runtimesDir(cfg *config.Config, spec *plan.RunSpec) string {
	if x := cfg.Executors[runExecutor(cfg, spec.Suite, spec.Benchmark, spec.Task)]; x != nil {
		return filepath.Join(x.SharedDir, "runtimes")
	}
	return bcontainer.RuntimesDir(spec.CacheDir)
}

// runExecutor is the executor block a run goes to, "TYPE.NAME", as the plan decides it:
// the benchmark block's, else the suite's ("" for this machine).
func runExecutor(cfg *config.Config, suite, benchmark string, task *schema.Task) string {
	s := cfg.Suites[suite]
	if s == nil {
		return ""
	}
	if ov := runOverride(s, benchmark, task); ov != nil && ov.Executor != "" {
		return ov.Executor
	}
	return s.Executor
}

// runOverride is the benchmark block of a run: by the suite's benchmark key, else the
// catalog task's name.
func runOverride(s *config.Suite, benchmark string, task *schema.Task) *config.Override {
	if ov := s.Overrides[benchmark]; ov != nil {
		return ov
	}
	if task != nil {
		return s.Overrides[task.Name]
	}
	return nil
}

// venvFor is the container runner's Venv: each run's environment is prepared (or, when
// prepared already, found) under runtimesDir. On a cluster node the environment apply
// prepared before submitting the job is found, and nothing is installed.
func venvFor(cfg *config.Config, environ []string) bcontainer.VenvFunc {
	return func(ctx context.Context, spec *plan.RunSpec, pkgs []string, say func(string)) (*runtime.Env, error) {
		m := &runtime.Manager{Dir: runtimesDir(cfg, spec), Environ: environ}
		return m.Prepare(ctx, pkgs, say)
	}
}

// prepareRuntime is a cluster executor's Prepare: before a venv-runtime run is submitted,
// its environment is prepared in SHARED_DIR/runtimes on this machine, once however many
// runs need it (runtime.Manager creates it under a lock; the others find it), so that the
// jobs only find it.
func prepareRuntime(cfg *config.Config, environ []string) func(context.Context, *plan.Job, func(string)) error {
	return func(ctx context.Context, job *plan.Job, say func(string)) error {
		s := job.Spec
		if job.Run.Runner == nil || job.Run.Runner.Kind() != bcontainer.Kind || s.Task == nil || cfg.Suites[s.Suite] == nil {
			return nil
		}
		if config.RunRuntime(cfg.Suites[s.Suite], runOverride(cfg.Suites[s.Suite], s.Benchmark, s.Task)) != config.RuntimeVenv {
			return nil
		}
		pkgs := runtime.Packages(s.Task.Harness)
		if pkgs == nil {
			return nil // the run fails on the node with the reason
		}
		dir := runtimesDir(cfg, s)
		m := &runtime.Manager{Dir: dir, Environ: environ}
		if _, err := m.Prepare(ctx, pkgs, say); err != nil {
			return fmt.Errorf("prepare the Python environment of %s in %s before submitting its job: %w", s.Task.Harness, dir, err)
		}
		return nil
	}
}

// nodeProgress writes a node's progress messages into its job's log (standard error), one
// line each: pulls, environment preparation, container status.
type nodeProgress struct {
	mu sync.Mutex
	w  io.Writer
}

// Total implements plan.Progress.
func (*nodeProgress) Total(string, int64) {}

// Add implements plan.Progress.
func (*nodeProgress) Add(string, int64, int64, int64) {}

// Log implements plan.Progress.
func (p *nodeProgress) Log(addr, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s evalplan: %s: %s\n", time.Now().UTC().Format(time.RFC3339), addr, msg)
}

// cancelOnInterrupt makes every cluster executor cancel its jobs when apply is interrupted.
func (x *executors) cancelOnInterrupt() {
	for _, e := range x.byBlock {
		if s, ok := e.(*slurm.Executor); ok {
			s.CancelOnInterrupt = true
		}
	}
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
	l, ok := c.load(&commonFlags{})
	if !ok {
		return fail(fmt.Errorf("the configuration in %s does not load on this node", spec.ConfigDir))
	}
	if n, _ := strconv.Atoi(os.Getenv("SLURM_RESTART_COUNT")); n > 0 {
		// Requeued (scontrol requeue, preemption): carry on from the journal.
		spec.Run.Resume = true
	}
	out, err := l.engine.RunRemote(c.ctx, l.cfg, spec.Run, &nodeProgress{w: c.stderr})
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
