package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/evalplan/evalplan/plan/config"
)

// RemoteRun is what a cluster node needs to carry out one planned run that apply handed to
// a cluster executor: the node loads the same configuration, plans again and performs the
// run with this address only when its identity is the one apply planned. It holds no
// secrets (endpoint keys are read from the configuration and the job's environment on the
// node), so it may be written to a shared directory.
type RemoteRun struct {
	Address  string `json:"address"`
	Identity string `json:"identity"`
	// Fingerprints are the endpoint fingerprints apply planned with, by endpoint name:
	// the node uses them rather than probing, so that it computes the same identity.
	Fingerprints map[string]Fingerprint `json:"fingerprints"`
	RunDir       string                 `json:"run_dir"`
	CacheDir     string                 `json:"cache_dir"`
	Dataset      DatasetFile            `json:"dataset"`
	FewShot      DatasetFile            `json:"few_shot"`
	Resume       bool                   `json:"resume,omitempty"`
	NoCache      bool                   `json:"no_cache,omitempty"`
}

// NewRemoteRun describes job for a node.
func NewRemoteRun(job *Job) *RemoteRun {
	s := job.Spec
	fps := map[string]Fingerprint{s.Endpoint.Name: job.Run.Inputs.Endpoint}
	if j := job.Run.Judge; j != nil && job.Run.Inputs.Judge != nil {
		fps[j.Name] = *job.Run.Inputs.Judge
	}
	return &RemoteRun{
		Address: s.Address, Identity: s.Identity, Fingerprints: fps, RunDir: s.RunDir, CacheDir: s.CacheDir,
		Dataset: s.Dataset, FewShot: s.FewShot, Resume: s.Resume, NoCache: s.NoCache,
	}
}

// RunRemote carries out rr on this machine (a cluster node) with the local executor: it
// plans cfg again, finds the run, checks that its identity is still the planned one and
// runs it in rr.RunDir, resuming from its journal when rr.Resume says so.
func (e *Engine) RunRemote(ctx context.Context, cfg *config.Config, rr *RemoteRun, progress Progress) (*Outcome, error) {
	outs, errs, err := e.RunRemoteGroup(ctx, cfg, []*RemoteRun{rr}, RemoteOptions{Progress: progress})
	if err != nil {
		return nil, err
	}
	return outs[0], errs[0]
}

// RemoteOptions tune RunRemoteGroup.
type RemoteOptions struct {
	// Servers hands out the managed endpoints; nil starts them on this machine through
	// the engine's Services.
	Servers ServerPool
	// Parallelism is how many of the runs go at once; below 1, the settings' parallelism.
	Parallelism int
	Progress    Progress
	// Done, when set, is called once for each run as it ends, or could not start
	// (concurrently), with its index in the group and what RunRemoteGroup returns for it,
	// so that a node records a finished run's outcome before the rest of the job is done.
	Done func(i int, out *Outcome, err error)
}

// RunRemoteGroup carries out the runs of one cluster job on this machine, like RunRemote:
// it plans once, holds the managed endpoints the runs use from before the first run until
// after the last (one server start for the whole job), and runs them opts.Parallelism at a
// time. It returns an outcome, or the error that kept a run from one, for each run in
// order; err is set only when nothing could run (the configuration does not plan).
func (e *Engine) RunRemoteGroup(ctx context.Context, cfg *config.Config, rrs []*RemoteRun, opts RemoteOptions) ([]*Outcome, []error, error) {
	progress := opts.Progress
	if progress == nil {
		progress = NopProgress{}
	}
	fps, diags := e.refresh(ctx, cfg, nil, false)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("read endpoints: %s", diags.Error())
	}
	for _, rr := range rrs {
		for name, fp := range rr.Fingerprints {
			fps[name] = fp
		}
	}
	runs, _, _, diags := e.expand(ctx, cfg, fps)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("plan: %s", diags.Error())
	}
	byAddr := map[string]*PlannedRun{}
	for _, c := range runs {
		byAddr[c.Addr.String()] = c
	}
	pool := opts.Servers
	if pool == nil {
		pool = newServicePool(e.Services)
	}
	outs, errs := make([]*Outcome, len(rrs)), make([]error, len(rrs))
	jobs := make([]*Job, len(rrs))
	held := map[string]*config.Endpoint{}
	for i, rr := range rrs {
		if jobs[i], errs[i] = e.remoteJob(ctx, byAddr[rr.Address], rr, pool, progress); errs[i] != nil {
			continue
		}
		for _, ep := range ManagedEndpoints(jobs[i].Run) {
			held[ep.Name] = ep
		}
	}
	// One reference per endpoint for the whole group: the server starts once, before the
	// first run, and stops after the last.
	for _, name := range slices.Sorted(maps.Keys(held)) {
		_, release, err := acquire(ctx, pool, held[name], progress)
		if err != nil {
			for i := range rrs {
				if jobs[i] != nil && usesEndpoint(jobs[i].Run, name) {
					jobs[i], errs[i] = nil, err
				}
			}
			continue
		}
		defer release()
	}
	n := opts.Parallelism
	if n < 1 {
		n = cfg.Settings.Parallelism
	}
	sem := make(chan struct{}, max(n, 1))
	var wg sync.WaitGroup
	for i := range rrs {
		if jobs[i] == nil {
			if opts.Done != nil {
				opts.Done(i, nil, errs[i])
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i], errs[i] = LocalExecutor{}.Execute(ctx, jobs[i], progress)
			if opts.Done != nil {
				opts.Done(i, outs[i], errs[i])
			}
		}()
	}
	wg.Wait()
	return outs, errs, nil
}

// usesEndpoint reports whether r uses the endpoint name (as endpoint or judge).
func usesEndpoint(r *PlannedRun, name string) bool {
	return (r.Endpoint != nil && r.Endpoint.Name == name) || (r.Judge != nil && r.Judge.Name == name)
}

// remoteJob is the Job of rr on this node: r is the run the node planned at rr's address
// (nil when none), which must have the identity apply planned.
func (e *Engine) remoteJob(ctx context.Context, r *PlannedRun, rr *RemoteRun, pool ServerPool, progress Progress) (*Job, error) {
	if r == nil {
		return nil, fmt.Errorf("%s: the configuration on this node plans no such run; the configuration directory must be the one apply used", rr.Address)
	}
	if r.runtimePending() {
		// The environment lives in the cache directory the submitting apply prepared it in; one
		// this node cannot see is prepared here, and must resolve as it did there.
		id, err := e.prepareRuntime(ctx, r, &RunSpec{Address: rr.Address, Suite: r.Addr.Suite, Benchmark: r.Addr.Benchmark, Task: r.Task, UserTask: r.UserTask, Params: r.Params, CacheDir: rr.CacheDir}, progress)
		if err != nil {
			return nil, err
		}
		if err := r.runtimePrepared(id); err != nil {
			return nil, err
		}
	}
	if r.Identity == "" {
		if err := r.datasetFetched(rr.Dataset.SHA256); err != nil {
			return nil, err
		}
	}
	if r.Identity != rr.Identity {
		return nil, fmt.Errorf("%s: the configuration on this node gives identity %s, apply planned %s; the configuration changed since the job was submitted: plan and apply again", rr.Address, short(r.Identity), short(rr.Identity))
	}
	spec := &RunSpec{
		Address: rr.Address, Suite: r.Addr.Suite, Benchmark: r.Addr.Benchmark, Task: r.Task, UserTask: r.UserTask,
		Endpoint: r.Endpoint, Judge: r.Judge, Interceptors: r.Interceptors, Image: r.Plan.Pull, Fingerprint: r.Inputs.Endpoint,
		Dataset: rr.Dataset, DatasetConfig: r.Plan.Dataset, FewShot: rr.FewShot, FewShotConfig: r.Plan.FewShot,
		Params: r.Params, Identity: r.Identity, RunDir: rr.RunDir, CacheDir: rr.CacheDir, Resume: rr.Resume, NoCache: rr.NoCache,
	}
	return &Job{Run: r, Spec: spec, Servers: pool}, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
