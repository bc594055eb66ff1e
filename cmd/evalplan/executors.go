package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	bcontainer "github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/providers/slurm"
	"github.com/evalplan/evalplan/providers/vllm"
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
	vars := plainVars(cfg)
	for key, e := range cfg.Executors {
		s := &slurm.Executor{Config: e, ConfigDir: cfg.Dir, Vars: vars, Prepare: prepareRuntime(cfg, environ)}
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
		suite := cfg.Suites[s.Suite]
		if config.RunRuntime(suite, suite.Override(s.Benchmark, s.Task.Name)) != config.RuntimeVenv {
			return nil
		}
		pkgs, err := runtime.Packages(s.Task)
		if err != nil {
			return nil // the run fails on the node with the reason
		}
		dir := bcontainer.RunRuntimesDir(cfg, s.Suite, s.Benchmark, s.Task.Name, s.CacheDir)
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
// loads the configuration the spec names, carries out exactly the planned runs it describes
// (one, or the group of a managed endpoint started in the job) and writes each run's outcome
// as soon as the run ends. Secrets come from the job's environment.
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
		for _, g := range spec.Runs() {
			if werr := slurm.WriteRunOutcome(g.Outcome, jobID, &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}); werr != nil {
				fmt.Fprintln(c.stderr, "Error: write outcome:", werr)
			}
		}
		return exitError
	}
	c.dir = spec.ConfigDir
	// The variables apply had (sensitive ones come from this node's environment).
	l, ok := c.load(&commonFlags{vars: spec.Vars})
	if !ok {
		return fail(fmt.Errorf("the configuration in %s does not load on this node", spec.ConfigDir))
	}
	// The jobs of a cluster share cache_dir: read the response cache together, each
	// writing an overlay of its own, rather than wait for each other.
	if nr, ok := l.engine.Runners[schema.NativeHarness].(*native.Runner); ok {
		nr.SharedCache = true
	}
	// Container runs of an executor with containers = "pyxis" become job steps of this job.
	if cr, ok := l.engine.Runners[plan.AnyHarness].(*bcontainer.Runner); ok {
		cr.InJob = true
	}
	// Closing flushes the response cache's last entries and merges the job's overlay.
	defer func() {
		if err := l.close(c.ctx); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
		}
	}()
	if n, _ := strconv.Atoi(os.Getenv("SLURM_RESTART_COUNT")); n > 0 {
		// Requeued (scontrol requeue, preemption): carry on from the journal.
		for _, g := range spec.Runs() {
			g.Run.Resume = true
		}
	}
	// Servers this job starts keep their log and launch record beside the job's spec, not
	// in output_dir where the jobs of other nodes would share them.
	if p, ok := l.engine.Services.(*vllm.Provider); ok {
		p.Dir = filepath.Dir(args[0])
	}
	opts := plan.RemoteOptions{Progress: &nodeProgress{w: c.stderr}}
	if len(spec.Servers) > 0 {
		opts.Servers = &slurm.Discovered{Servers: spec.Servers}
	}
	group := spec.Runs()
	rrs := make([]*plan.RemoteRun, len(group))
	for i, g := range group {
		rrs[i] = g.Run
	}
	// Each run's outcome is written as soon as it ends: a job ended by the cluster later
	// keeps the runs it finished.
	var mu sync.Mutex
	code := exitOK
	opts.Done = func(i int, out *plan.Outcome, err error) {
		g := group[i]
		mu.Lock()
		defer mu.Unlock()
		if out == nil {
			out = &plan.Outcome{Status: state.StatusFailed}
			if err != nil {
				out.Error = err.Error()
				fmt.Fprintln(c.stderr, "Error:", err)
			}
		}
		if err := slurm.WriteRunOutcome(g.Outcome, jobID, out); err != nil {
			fmt.Fprintln(c.stderr, "Error: write outcome:", err)
			code = exitError
		}
		b, _ := json.Marshal(map[string]any{"address": g.Run.Address, "status": out.Status, "error": out.Error})
		fmt.Fprintln(c.stdout, string(b))
		if out.Status != state.StatusComplete {
			code = exitError
		}
	}
	if _, _, err := l.engine.RunRemoteGroup(c.ctx, l.cfg, rrs, opts); err != nil {
		return fail(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return code
}

// cmdServeJob is the hidden `evalplan __serve-job SPECFILE` a server job runs on its node
// (model_server = "own_job"): it starts the managed endpoint's server bound to every
// interface, writes http://NODE:PORT/v1 to the spec's URL file once the server is ready,
// and keeps it until the job is cancelled or reaches its time limit (SIGTERM), then stops it.
func cmdServeJob(c *cli, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(c.stderr, "Error: usage: evalplan __serve-job SPECFILE")
		return exitError
	}
	spec, err := slurm.ReadServeSpec(args[0])
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	jobID := os.Getenv("SLURM_JOB_ID")
	fail := func(err error) int {
		fmt.Fprintln(c.stderr, "Error:", err)
		if werr := os.WriteFile(spec.ErrorFile(jobID), []byte(err.Error()+"\n"), 0o644); werr != nil {
			fmt.Fprintln(c.stderr, "Error: write the error file:", werr)
		}
		return exitError
	}
	c.dir = spec.ConfigDir
	l, ok := c.load(&commonFlags{vars: spec.Vars})
	if !ok {
		return fail(fmt.Errorf("the configuration in %s does not load on this node", spec.ConfigDir))
	}
	ep := l.cfg.Endpoints[spec.Endpoint]
	if ep == nil || !ep.Managed() {
		return fail(fmt.Errorf("the configuration on this node has no managed endpoint.%s", spec.Endpoint))
	}
	p, ok := l.engine.Services.(*vllm.Provider)
	if !ok {
		return fail(fmt.Errorf("endpoint.%s: no server provider", spec.Endpoint))
	}
	p.Dir, p.Host = spec.Dir, "0.0.0.0"
	local, err := p.Start(c.ctx, ep)
	if err != nil {
		return fail(fmt.Errorf("endpoint.%s: start: %w", spec.Endpoint, err))
	}
	defer func() {
		if err := p.Stop(context.WithoutCancel(c.ctx), ep); err != nil {
			fmt.Fprintln(c.stderr, "Error: stop:", err)
		}
	}()
	host, err := os.Hostname()
	if err != nil {
		return fail(fmt.Errorf("host name: %w", err))
	}
	url, err := slurm.NodeURL(local, host)
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(spec.URLFile(jobID)+".tmp", []byte(url+"\n"), 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(spec.URLFile(jobID)+".tmp", spec.URLFile(jobID)); err != nil {
		return fail(err)
	}
	defer os.Remove(spec.URLFile(jobID))
	fmt.Fprintf(c.stdout, "endpoint.%s serving at %s\n", spec.Endpoint, url)
	<-c.ctx.Done()
	return exitOK
}
