package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
)

// Executor performs planned runs: it is where a run executes. LocalExecutor runs them on
// this machine; an executor for a cluster submits them as jobs. Apply hands an executor
// every run the plan says to perform, as a Job, and records the outcome it returns.
type Executor interface {
	// Execute performs one run and always reports an outcome unless err says why it could
	// not; ctx is cancelled on Ctrl-C.
	Execute(ctx context.Context, job *Job, progress Progress) (*Outcome, error)
}

// Job is one planned run handed to an executor: the run, what apply resolved for it (Spec:
// dataset files, run directory, resume) and the managed servers it may start.
type Job struct {
	Run  *PlannedRun
	Spec *RunSpec
	// Servers starts and stops managed endpoints; an executor that runs servers elsewhere
	// may ignore it.
	Servers ServerPool
	// Previous is the cluster job an interrupted apply left carrying out this run (as
	// Record reported it), "" when none: an executor re-attaches to it, or collects its
	// outcome, rather than submit the run again.
	Previous string
	// Record saves the id of the cluster job carrying out the run in the state, at once;
	// nil discards it. Executors that submit jobs call it as soon as the job exists.
	Record func(job string) error
	// ServerJobs reads and records the cluster jobs that serve managed endpoints (an
	// executor that runs a model server as a job of its own); nil when there is no state.
	ServerJobs ServerJobs
	// EndpointRuns counts, by managed endpoint name, the runs of this apply that go to the
	// same executor as this one and use that endpoint (as endpoint or judge): an executor
	// that serves endpoints itself stops a server once that many runs have finished.
	EndpointRuns map[string]int
}

// ServerJobs is the state's record of the cluster jobs serving managed endpoints: the
// endpoint's resource keeps its job id, so that an interrupted apply re-attaches to the
// server job instead of submitting another.
type ServerJobs interface {
	// ServerJob is the recorded job serving the endpoint, "" when none.
	ServerJob(endpoint string) string
	// RecordServerJob records (job "" forgets) the job serving the endpoint, at once.
	RecordServerJob(endpoint, job string) error
}

// ManagedEndpoints are the managed endpoints (vllm blocks) a run uses, endpoint then judge,
// without repeats.
func ManagedEndpoints(r *PlannedRun) []*config.Endpoint {
	var out []*config.Endpoint
	for _, ep := range []*config.Endpoint{r.Endpoint, r.Judge} {
		if ep != nil && ep.Managed() && (len(out) == 0 || out[0].Name != ep.Name) {
			out = append(out, ep)
		}
	}
	return out
}

// ServerPool hands out running managed endpoints, reference counted: every successful
// Acquire must be matched by a Release.
type ServerPool interface {
	// Acquire makes ep available and returns its base URL.
	Acquire(ctx context.Context, ep *config.Endpoint) (url string, err error)
	// Release drops one reference, stopping the server when it was the last one.
	Release(ctx context.Context, ep *config.Endpoint) error
}

// LocalExecutor performs runs on this machine: it starts the managed endpoints a run needs,
// enforces the run's timeout and calls its runner.
type LocalExecutor struct{}

// Execute implements Executor.
func (LocalExecutor) Execute(ctx context.Context, job *Job, progress Progress) (*Outcome, error) {
	r, spec := job.Run, *job.Spec
	parent := ctx
	if r.Params.Timeout != nil && *r.Params.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*r.Params.Timeout*float64(time.Second)))
		defer cancel()
	}
	for _, ep := range []**config.Endpoint{&spec.Endpoint, &spec.Judge} {
		if *ep == nil {
			continue
		}
		url, release, err := acquire(ctx, job.Servers, *ep, progress)
		if err != nil {
			return &Outcome{Status: state.StatusFailed, Error: err.Error()}, err
		}
		defer release()
		cp := **ep
		cp.URL = url
		if m, ok := job.Servers.(ServiceMetrics); ok {
			cp.MetricsURL = m.MetricsURL(*ep, url)
		}
		*ep = &cp
	}
	out, err := r.Runner.Run(ctx, &spec, progress)
	if out == nil {
		out = &Outcome{Status: state.StatusFailed}
		if err != nil {
			out.Error = err.Error()
		}
	}
	if out.Status == state.StatusFailed && out.Error == "" && err != nil {
		out.Error = err.Error()
	}
	// The run's own timeout ended it (not Ctrl-C): say so, and keep what it finished.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil && out.Status != state.StatusComplete {
		if !strings.Contains(out.Error, "timed out") {
			msg := fmt.Sprintf("run timed out after %gs (params timeout)", *r.Params.Timeout)
			if out.Error != "" && !errors.Is(err, context.DeadlineExceeded) {
				msg += ": " + out.Error
			}
			out.Error = msg
		}
		err = nil
	}
	return out, err
}

// acquire takes a reference on ep's server and returns its URL and the matching release.
func acquire(ctx context.Context, pool ServerPool, ep *config.Endpoint, progress Progress) (string, func(), error) {
	url, err := pool.Acquire(ctx, ep)
	if err != nil {
		return "", nil, err
	}
	return url, func() {
		if err := pool.Release(ctx, ep); err != nil {
			progress.Log(addrs.Endpoint{Name: ep.Name}.String(), "stop: "+err.Error())
		}
	}, nil
}
