package plan

import (
	"context"
	"fmt"

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
	if progress == nil {
		progress = NopProgress{}
	}
	fps, diags := e.refresh(ctx, cfg, nil, false)
	if diags.HasErrors() {
		return nil, fmt.Errorf("read endpoints: %s", diags.Error())
	}
	for name, fp := range rr.Fingerprints {
		fps[name] = fp
	}
	runs, _, _, diags := e.expand(ctx, cfg, fps)
	if diags.HasErrors() {
		return nil, fmt.Errorf("plan: %s", diags.Error())
	}
	var r *PlannedRun
	for _, c := range runs {
		if c.Addr.String() == rr.Address {
			r = c
		}
	}
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
	pool := newServicePool(e.Services)
	return LocalExecutor{}.Execute(ctx, &Job{Run: r, Spec: spec, Servers: pool}, progress)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
