package slurm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
)

// Spec is the file a job's node reads (SPECFILE of __run-job): the run and the
// configuration directory to load. It holds no secrets.
type Spec struct {
	// ConfigDir is the configuration directory, seen at the same path on the nodes.
	ConfigDir string `json:"config_dir"`
	// Outcome is where the node writes the run's outcome (plan.Outcome as JSON).
	Outcome string          `json:"outcome,omitempty"`
	Run     *plan.RemoteRun `json:"run,omitempty"`
	// Vars are the values of the variables that are not sensitive, as apply had them.
	Vars []config.VarArg `json:"vars,omitempty"`
	// Group lists the runs of a job that carries out several (model_server = "in_job":
	// the runs of one managed endpoint, which the node starts once for all of them);
	// Outcome and Run are then empty.
	Group []GroupRun `json:"group,omitempty"`
	// Servers are the server jobs serving the run's managed endpoints, by endpoint name
	// (model_server = "own_job"); empty: the node starts them itself.
	Servers map[string]ServerRef `json:"servers,omitempty"`
}

// GroupRun is one run of a job that carries out several, and where its outcome goes.
type GroupRun struct {
	Outcome string          `json:"outcome"`
	Run     *plan.RemoteRun `json:"run"`
}

// Runs are the spec's runs: Run with Outcome, or Group.
func (s *Spec) Runs() []GroupRun {
	if s.Run != nil {
		return []GroupRun{{Outcome: s.Outcome, Run: s.Run}}
	}
	return s.Group
}

// Executor carries out runs as Slurm jobs on the cluster its executor block describes.
type Executor struct {
	Config *config.Executor
	// ConfigDir is the configuration directory; the nodes must see it at the same path.
	ConfigDir string
	// Runner runs the Slurm commands; nil runs them on this machine (Local).
	Runner Runner
	// Vars are the configuration's variables that are not sensitive, as -var arguments:
	// the job's spec carries them to the node, which loads the same configuration.
	// Sensitive ones must be set in the node's environment (EVALPLAN_VAR_NAME).
	Vars []config.VarArg
	// Prepare, when set, readies on this machine what a run's job needs on the shared
	// directory before the job is first submitted (the Python environment of a venv
	// run); an error fails the run without submitting it. say reports progress.
	Prepare func(ctx context.Context, job *plan.Job, say func(string)) error

	cancelOnInterrupt atomic.Bool
	active            atomic.Int64
	batch             batcher
	queue             queue
	servers           serverJobs
}

// SetCancelOnInterrupt chooses what an interrupted apply does with the jobs in flight:
// true cancels them (scancel) and their runs end partial; false (the default) leaves them
// running and the next apply re-attaches. It may be called while runs are in flight,
// before the apply's context ends.
func (x *Executor) SetCancelOnInterrupt(on bool) { x.cancelOnInterrupt.Store(on) }

// Active is the number of runs this executor is submitting or waiting for.
func (x *Executor) Active() int { return int(x.active.Load()) }

// Close releases the runner's connection.
func (x *Executor) Close() error {
	if x.Runner == nil {
		return nil
	}
	return x.Runner.Close()
}

func (x *Executor) runner() Runner {
	if x.Runner == nil {
		return Local{}
	}
	return x.Runner
}

// Execute implements plan.Executor: it re-attaches to job.Previous when Slurm still knows
// it (or collects its outcome), otherwise submits the run, records the job id and waits.
// Ctrl-C leaves the job running: the run stays recorded as running with its job, and the
// next apply collects it.
func (x *Executor) Execute(ctx context.Context, job *plan.Job, progress plan.Progress) (*plan.Outcome, error) {
	x.active.Add(1)
	defer x.active.Add(-1)
	dir := x.jobDir(job)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm: shared directory: %w", err)
	}
	var servers map[string]ServerRef
	if x.Config.ModelServer == config.ModelServerOwnJob {
		for _, ep := range plan.ManagedEndpoints(job.Run) {
			ref, err := x.acquireServer(ctx, job, ep, progress)
			if err != nil {
				return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}, err
			}
			defer x.releaseServer(ctx, job, ep, progress)
			if servers == nil {
				servers = map[string]ServerRef{}
			}
			servers[ep.Name] = ref
		}
	}
	id, resubmits := job.Previous, 0
	if id != "" {
		progress.Log(job.Spec.Address, "re-attaching to slurm job "+id)
	} else if x.Prepare != nil {
		if err := x.Prepare(ctx, job, func(msg string) { progress.Log(job.Spec.Address, msg) }); err != nil {
			if ctx.Err() != nil {
				return &plan.Outcome{Status: state.StatusFailed, Error: "apply interrupted before the job was submitted"}, ctx.Err()
			}
			return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}, nil
		}
	}
	for {
		if id == "" {
			if resubmits > 0 {
				// The server job the last job used may have ended; the new one gets a live one.
				for _, ep := range plan.ManagedEndpoints(job.Run) {
					if _, ok := servers[ep.Name]; !ok {
						continue
					}
					ref, err := x.refreshServer(ctx, job, ep, progress)
					if err != nil {
						return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}, err
					}
					servers[ep.Name] = ref
				}
			}
			var err error
			if id, err = x.submit(ctx, job, dir, resubmits > 0, servers); err != nil {
				return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}, err
			}
			progress.Log(job.Spec.Address, "submitted slurm job "+id)
			if job.Record != nil {
				if err := job.Record(id); err != nil {
					return nil, fmt.Errorf("record slurm job %s: %w", id, err)
				}
			}
		}
		st, err := x.wait(ctx, id, job.Spec.Address, progress)
		if err != nil {
			if ctx.Err() != nil && x.cancelOnInterrupt.Load() {
				return x.cancel(id, dir, job.Spec.Address, progress), ctx.Err()
			}
			if ctx.Err() != nil {
				return &plan.Outcome{Status: state.StatusRunning, Error: fmt.Sprintf("apply interrupted; slurm job %s keeps running: apply again to collect it", id)}, ctx.Err()
			}
			return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}, err
		}
		out, ok := readOutcome(outcomePath(dir, id))
		if ok && out.Status == state.StatusComplete {
			return out, nil
		}
		// The cluster ended the job (a run stopped by SIGTERM at its time limit writes a
		// partial outcome first): resubmit, and the new job resumes from the journal.
		if (retryable(st) || st == stateNeverRuns && servers != nil) && resubmits < x.Config.MaxResubmits {
			resubmits++
			progress.Log(job.Spec.Address, fmt.Sprintf("slurm job %s ended %s; resubmitting (%d of %d), resuming from the journal", id, st, resubmits, x.Config.MaxResubmits))
			id = ""
			continue
		}
		if ok {
			if st != "COMPLETED" {
				out.Error = fmt.Sprintf("slurm job %s ended %s%s: %s", id, st, resubmitNote(st, resubmits), out.Error)
			}
			return out, nil
		}
		if st == stateNeverRuns {
			return &plan.Outcome{Status: state.StatusFailed, Error: fmt.Sprintf("slurm job %s was cancelled: it waited for a job that ended before it could start (its model server job); apply again to start a new one", id)}, nil
		}
		msg := fmt.Sprintf("slurm job %s ended %s%s without an outcome", id, st, resubmitNote(st, resubmits))
		if tail := logTail(x.logPath(dir, id), 20); tail != "" {
			msg += "; the end of its log:\n" + tail
		}
		return &plan.Outcome{Status: state.StatusFailed, Error: msg}, nil
	}
}

// cancel cancels job id after apply was interrupted, waits (boundedly) for it to end and
// returns the run's outcome: partial with what the run finished, which the next apply resumes.
func (x *Executor) cancel(id, dir, addr string, progress plan.Progress) *plan.Outcome {
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second+2*x.Config.PollInterval)
	defer stop()
	progress.Log(addr, "apply interrupted: cancelling slurm job "+id)
	if out, errOut, err := x.runner().Run(ctx, "scancel", id); err != nil {
		return &plan.Outcome{Status: state.StatusRunning, Error: fmt.Sprintf("apply interrupted; scancel %s failed (%v%s): the job may keep running, apply again to collect it", id, err, withOutput(out, errOut))}
	}
	st, err := x.wait(ctx, id, addr, progress)
	if err != nil {
		st = "CANCELLED"
	}
	msg := fmt.Sprintf("apply interrupted: slurm job %s cancelled on interrupt, ended %s; apply again to resume", id, st)
	if out, ok := readOutcome(outcomePath(dir, id)); ok {
		if out.Status == state.StatusComplete {
			return out
		}
		out.Status, out.Error = state.StatusPartial, msg+": "+out.Error
		return out
	}
	return &plan.Outcome{Status: state.StatusPartial, Error: msg}
}

// jobDir is the run's directory under shared_dir: one per address and identity.
func (x *Executor) jobDir(job *plan.Job) string {
	name := strings.NewReplacer("/", "_", "\"", "", "[", "_", "]", "", " ", "_").Replace(job.Spec.Address)
	id := job.Spec.Identity
	if len(id) > 12 {
		id = id[:12]
	}
	return filepath.Join(x.Config.SharedDir, "jobs", name+"-"+id)
}

func outcomePath(dir, id string) string { return filepath.Join(dir, "outcome-"+id+".json") }

// submit writes the job's spec and submits it, returning the job id. A run whose managed
// endpoints start inside the job (model_server = "in_job") joins the runs of the same
// endpoints ready with it in one job; with server jobs (servers), the job depends on them.
func (x *Executor) submit(ctx context.Context, job *plan.Job, dir string, resume bool, servers map[string]ServerRef) (string, error) {
	rr := plan.NewRemoteRun(job)
	rr.Resume = rr.Resume || resume
	specFile := filepath.Join(dir, "spec.json")
	// The outcome path names the job: sbatch's %j is not known before it answers, so the
	// node derives it from SLURM_JOB_ID.
	spec := Spec{ConfigDir: x.ConfigDir, Outcome: filepath.Join(dir, "outcome-%j.json"), Vars: x.Vars, Run: rr, Servers: servers}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(specFile, b); err != nil {
		return "", fmt.Errorf("slurm: write job spec: %w", err)
	}
	r := &request{name: "evalplan:" + job.Spec.Address, spec: specFile, dir: dir, run: GroupRun{Outcome: spec.Outcome, Run: rr}}
	if eps := plan.ManagedEndpoints(job.Run); len(eps) > 0 {
		if x.Config.ModelServer == config.ModelServerOwnJob {
			// The server job has the block's GPUs; the run jobs only send requests.
			r.noGPUs = true
			deps := make([]string, 0, len(servers))
			for _, name := range slices.Sorted(maps.Keys(servers)) {
				deps = append(deps, servers[name].Job)
			}
			r.extra = []string{"--dependency=after:" + strings.Join(deps, ":")}
		} else {
			names := make([]string, len(eps))
			for i, ep := range eps {
				names[i] = ep.Name
			}
			r.group = strings.Join(names, "+")
			if resume {
				// The runs of a job the cluster ended each notice it at their own poll, up
				// to a poll interval apart, later still when squeue is slow on a busy
				// controller: wait three intervals, so that they go again as one job (a
				// few seconds' delay after a TIMEOUT or preemption costs nothing).
				r.window = BatchWindow + 3*x.Config.PollInterval
			}
		}
	}
	return x.enqueue(r)
}

// sbatchArgs are the executor block's settings as sbatch options.
func (x *Executor) sbatchArgs(name, output string) []string {
	c := x.Config
	args := []string{"--parsable", "--job-name", name, "--output", output, "--chdir", x.ConfigDir}
	for _, o := range []struct{ flag, v string }{
		{"--partition", c.Partition}, {"--account", c.Account}, {"--qos", c.QOS},
		{"--time", c.TimeLimit}, {"--mem", c.Mem}, {"--constraint", c.Constraint},
	} {
		if o.v != "" {
			args = append(args, o.flag+"="+o.v)
		}
	}
	for _, o := range []struct {
		flag string
		v    int
	}{{"--nodes", c.Nodes}, {"--gpus-per-node", c.GPUsPerNode}, {"--cpus-per-task", c.CPUsPerTask}} {
		if o.v > 0 {
			args = append(args, fmt.Sprintf("%s=%d", o.flag, o.v))
		}
	}
	if c.Exclusive {
		args = append(args, "--exclusive")
	}
	return append(args, c.SbatchArgs...)
}

// wait polls the job every PollInterval until it ends and returns its final state.
func (x *Executor) wait(ctx context.Context, id, addr string, progress plan.Progress) (string, error) {
	last := ""
	for {
		st, err := x.jobState(ctx, id)
		if err != nil {
			return "", err
		}
		if st != last {
			progress.Log(addr, "slurm job "+id+" "+st)
			last = st
		}
		if st == stateNeverRuns {
			if out, errOut, err := x.runner().Run(ctx, "scancel", id); err != nil {
				return "", fmt.Errorf("slurm job %s can never start (the job it depends on ended first) and scancel failed: %w%s", id, err, withOutput(out, errOut))
			}
			return st, nil
		}
		if terminal(st) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(x.Config.PollInterval):
		}
	}
}

// jobState is the job's state: from the shared squeue listing while the job is queued or
// running, scontrol show job when it is not there (just submitted, or left the queue) (sacct needs slurmdbd), "GONE" when Slurm forgot it.
func (x *Executor) jobState(ctx context.Context, id string) (string, error) {
	if st, ok, err := x.queued(ctx, id); err != nil || ok {
		return st, err
	}
	stdout, errOut, err := x.runner().Run(ctx, "scontrol", "-o", "show", "job", id)
	out := combined(stdout, errOut)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if strings.Contains(out, "Invalid job id") {
			return "GONE", nil
		}
		return "", fmt.Errorf("scontrol show job %s: %w%s", id, err, withOutput(stdout, errOut))
	}
	for _, f := range strings.Fields(string(stdout)) {
		if v, ok := strings.CutPrefix(f, "JobState="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("scontrol show job %s: no JobState", id)
}

// resubmitNote says, for a job the cluster ended, that no resubmission is left.
func resubmitNote(st string, resubmits int) string {
	if !retryable(st) {
		return ""
	}
	return fmt.Sprintf(" (after %d resubmissions; max_resubmits reached)", resubmits)
}

func terminal(st string) bool {
	switch st {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT", "REQUEUE_HOLD", "REQUEUE_FED":
		return false
	}
	return true
}

// retryable reports whether a job ended by the cluster, not by the run, is resubmitted.
func retryable(st string) bool {
	switch st {
	case "TIMEOUT", "PREEMPTED", "NODE_FAIL", "BOOT_FAIL", "GONE":
		return true
	}
	return false
}

func readOutcome(path string) (*plan.Outcome, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var out plan.Outcome
	if json.Unmarshal(b, &out) != nil || out.Status == "" {
		return nil, false
	}
	return &out, true
}

// WriteOutcome writes a node's outcome for the job in SLURM_JOB_ID (to spec.Outcome).
func WriteOutcome(spec *Spec, jobID string, out *plan.Outcome) error {
	return WriteRunOutcome(spec.Outcome, jobID, out)
}

// WriteRunOutcome writes a run's outcome to its outcome path (a GroupRun's Outcome) for job jobID.
func WriteRunOutcome(outcome, jobID string, out *plan.Outcome) error {
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return writeFileAtomic(strings.ReplaceAll(outcome, "%j", jobID), append(b, '\n'))
}

// ReadSpec reads a job's spec file.
func ReadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Run == nil && len(s.Group) == 0 {
		return nil, errors.New(path + ": no run")
	}
	return &s, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func logTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// JobInfo is what squeue says about one job.
type JobInfo struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Node is the job's node list, "" while it waits.
	Node string `json:"node,omitempty"`
	// Elapsed is squeue's run time, such as "1:05" or "1-02:03:04".
	Elapsed string `json:"elapsed,omitempty"`
}

// Query asks squeue, through r (nil: on this machine), about ids in one call and returns
// what it knows by job id; jobs that left the queue are absent. It runs one squeue however
// many ids there are, so monitors can call it on every refresh.
func Query(ctx context.Context, r Runner, ids []string) (map[string]JobInfo, error) {
	got := map[string]JobInfo{}
	if len(ids) == 0 {
		return got, nil
	}
	if r == nil {
		r = Local{}
	}
	out, _, err := r.Run(ctx, "squeue", "-h", "-r", "-j", strings.Join(ids, ","), "-o", "%i|%T|%N|%M")
	if err != nil && len(out) == 0 {
		// squeue fails when every id left the queue ("Invalid job id specified").
		return got, nil
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 4 {
			continue
		}
		got[f[0]] = JobInfo{ID: f[0], State: f[1], Node: f[2], Elapsed: f[3]}
	}
	return got, nil
}
