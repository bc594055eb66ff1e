package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
)

// RunnerKind names the code that performs a run, as a runner reports it in messages.
type RunnerKind string

// RunRequest is what the engine asks a runner to plan: one benchmark against one endpoint,
// with the configuration that concerns it.
type RunRequest struct {
	Addr     addrs.Run
	Task     *schema.Task
	UserTask *config.Task // for task.NAME benchmarks, else nil
	Endpoint *config.Endpoint
	// Override is the suite's benchmark block for this benchmark; nil when none.
	Override *config.Override
	// Config is the whole configuration, for the blocks an override or task refers to.
	Config *config.Config
	// Params are the run's merged params (catalog defaults, suite, benchmark block), for a
	// runner to reject the ones it cannot honour.
	Params config.Params
}

// RunPlan is a runner's part of a planned run: what it adds to the run's identity and what
// it needs before it can start. The engine resolves the needs (datasets are hashed and
// fetched, images listed for `evalplan containers` and `status`) and builds the identity.
type RunPlan struct {
	// Image is the container image the result depends on, pinned by digest and named by its
	// catalog repository (a mirror moves where it is pulled from, not what it is).
	Image string `json:"image,omitempty"`
	// Scorer is the scorer version.
	Scorer string `json:"scorer,omitempty"`
	// Task is the canonical text of a task block.
	Task string `json:"task,omitempty"`
	// Dataset is the dataset the run reads; its sha256 is part of the identity.
	Dataset *config.Dataset `json:"-"`
	// FewShot is a second dataset of few-shot examples; its sha256 is part of the identity.
	FewShot *config.Dataset `json:"-"`
	// Runtime is the prepared harness environment the result depends on, named by its
	// resolved lock ("venv:sha256:<lock>"): it is in the identity as Image is for a container
	// image. "" for image runs, and while the environment is not prepared (PendingRuntime).
	Runtime string `json:"runtime,omitempty"`
	// PendingRuntime names the environment a run needs that is not prepared yet (its
	// package set, "venv:nemo-evaluator==0.2.8,..."): the run's identity is known only after
	// apply prepares it through the runner's PrepareRuntime (RuntimePreparer).
	PendingRuntime string `json:"-"`
	// Pull is the image apply pulls to perform the run (after mirrors), pinned by digest.
	Pull string `json:"-"`
	// Resumable says the runner continues an interrupted or partial run from its journal,
	// requesting only missing or errored samples. A runner that cannot (a container harness
	// starts over) leaves it false, and the plan says the run starts again from the start.
	Resumable bool `json:"-"`
	// Replays says that, though the harness starts over, the requests an earlier attempt got
	// answered are answered again from the run's request journal without the model: only the
	// rest are sent.
	Replays bool `json:"-"`
	// Note is a line the plan shows under the run, such as how many requests a group task's
	// limit_samples makes.
	Note string `json:"-"`
}

// Runner performs runs of a harness: PlanRun says what a run is and needs, without side
// effects; Run performs it.
type Runner interface {
	// Kind names the runner in messages and status lines.
	Kind() RunnerKind
	// PlanRun plans one run. Errors are about the configuration and say what to change.
	PlanRun(ctx context.Context, req *RunRequest) (*RunPlan, error)
	// Run performs a planned run and reports its outcome.
	Run(ctx context.Context, spec *RunSpec, progress Progress) (*Outcome, error)
}

// RuntimePreparer is implemented by a Runner whose runs can depend on an environment that
// is prepared at apply (RunPlan.PendingRuntime): apply calls PrepareRuntime before it
// computes such a run's identity, and the run's identity holds what it returns.
type RuntimePreparer interface {
	// PrepareRuntime prepares (or finds) the environment of a planned run and returns its
	// identity, RunPlan.Runtime's form ("venv:sha256:<lock>"). Progress receives what it does.
	PrepareRuntime(ctx context.Context, spec *RunSpec, progress Progress) (string, error)
}

// AnyHarness is the Registry key of the runner for harnesses that have none of their own.
const AnyHarness = "*"

// Registry maps a task's harness (schema.Task.Harness) to the runner that performs
// its runs; the AnyHarness entry serves every harness without an entry. cmd/ fills it
// explicitly.
type Registry map[string]Runner

// For returns the runner of a task's harness.
func (r Registry) For(t *schema.Task) (Runner, error) {
	if rn := r[t.Harness]; rn != nil {
		return rn, nil
	}
	if rn := r[AnyHarness]; rn != nil {
		return rn, nil
	}
	return nil, fmt.Errorf("no runner performs %s tasks in this build", t.Harness)
}

// Runners returns every distinct runner, in key order.
func (r Registry) Runners() []Runner {
	var out []Runner
	for _, k := range slices.Sorted(maps.Keys(r)) {
		if rn := r[k]; rn != nil && !slices.Contains(out, rn) {
			out = append(out, rn)
		}
	}
	return out
}

// RunSpec is a planned run as a runner performs it: the planned run's fields plus what
// apply resolved for it (local dataset files, the endpoint's current URL, the run
// directory).
type RunSpec struct {
	Address   string
	Suite     string
	Benchmark string // key as written, e.g. "native.gsm8k" or "task.my_qa"
	Task      *schema.Task
	UserTask  *config.Task // for task.NAME benchmarks
	// Endpoint is the endpoint with its current URL (a managed endpoint's server's).
	Endpoint *config.Endpoint
	// Image is the image to run for a container task (RunPlan.Pull).
	Image string
	// Fingerprint is the endpoint's identity, the namespace of its cached responses.
	Fingerprint Fingerprint
	// Dataset is the local file of RunPlan.Dataset (zero when none), DatasetConfig its block.
	Dataset       DatasetFile
	DatasetConfig *config.Dataset
	// FewShot is the local file of RunPlan.FewShot (zero when none), FewShotConfig its block.
	FewShot       DatasetFile
	FewShotConfig *config.Dataset
	// Judge is the benchmark's judge endpoint (graded tasks) with its current URL, nil when none.
	Judge *config.Endpoint
	// Interceptors transform the run's model requests, in order.
	Interceptors []*config.Interceptor
	// Params are the effective parameters (catalog < suite < benchmark).
	Params   config.Params
	Identity string
	RunDir   string
	CacheDir string
	// Resume asks the runner to request only samples missing from RunDir's journal.
	Resume bool
	// NoCache disables the response cache (apply -no-cache).
	NoCache bool
}

// Outcome is what a runner reports when a run ends.
type Outcome struct {
	Status state.Status // complete, partial or failed
	Result *result.Result
	Error  string
}

// Progress receives progress events from slow work. Implementations must be safe for
// concurrent use.
type Progress interface {
	// Total sets the amount of work (samples, bytes).
	Total(addr string, n int64)
	// Add reports n more units done; errs counts failed units among them.
	Add(addr string, n int64, errs int64, tokens int64)
	// Log records a line of text about addr.
	Log(addr string, msg string)
}

// NopProgress discards progress.
type NopProgress struct{}

// Total implements Progress.
func (NopProgress) Total(string, int64) {}

// Add implements Progress.
func (NopProgress) Add(string, int64, int64, int64) {}

// Log implements Progress.
func (NopProgress) Log(string, string) {}
