package slurm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	Outcome string          `json:"outcome"`
	Run     *plan.RemoteRun `json:"run"`
}

// Executor carries out runs as Slurm jobs on the cluster its executor block describes.
type Executor struct {
	Config *config.Executor
	// ConfigDir is the configuration directory; the nodes must see it at the same path.
	ConfigDir string
	// CancelOnInterrupt cancels (scancel) the run's job when apply is interrupted, and
	// the run ends partial; otherwise the job goes on and the next apply re-attaches.
	CancelOnInterrupt bool
	// Prepare, when set, readies on this machine what a run's job needs on the shared
	// directory before the job is first submitted (the Python environment of a venv
	// run); an error fails the run without submitting it. say reports progress.
	Prepare func(ctx context.Context, job *plan.Job, say func(string)) error

	batch batcher
	queue queue
}

// Execute implements plan.Executor: it re-attaches to job.Previous when Slurm still knows
// it (or collects its outcome), otherwise submits the run, records the job id and waits.
// Ctrl-C leaves the job running: the run stays recorded as running with its job, and the
// next apply collects it.
func (x *Executor) Execute(ctx context.Context, job *plan.Job, progress plan.Progress) (*plan.Outcome, error) {
	dir := x.jobDir(job)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm: shared directory: %w", err)
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
			var err error
			if id, err = x.submit(ctx, job, dir, resubmits > 0); err != nil {
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
			if ctx.Err() != nil && x.CancelOnInterrupt {
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
		if retryable(st) && resubmits < x.Config.MaxResubmits {
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
	if out, err := exec.CommandContext(ctx, "scancel", id).CombinedOutput(); err != nil {
		return &plan.Outcome{Status: state.StatusRunning, Error: fmt.Sprintf("apply interrupted; scancel %s failed (%v: %s): the job may keep running, apply again to collect it", id, err, strings.TrimSpace(string(out)))}
	}
	st, err := x.wait(ctx, id, addr, progress)
	if err != nil {
		st = "CANCELLED"
	}
	msg := fmt.Sprintf("apply interrupted: slurm job %s cancelled (-cancel-on-interrupt), ended %s; apply again to resume", id, st)
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

// submit writes the job's spec and submits it, returning the job id.
func (x *Executor) submit(ctx context.Context, job *plan.Job, dir string, resume bool) (string, error) {
	rr := plan.NewRemoteRun(job)
	rr.Resume = rr.Resume || resume
	specFile := filepath.Join(dir, "spec.json")
	// The outcome path names the job: sbatch's %j is not known before it answers, so the
	// node derives it from SLURM_JOB_ID.
	b, err := json.MarshalIndent(Spec{ConfigDir: x.ConfigDir, Outcome: filepath.Join(dir, "outcome-%j.json"), Run: rr}, "", "  ")
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(specFile, b); err != nil {
		return "", fmt.Errorf("slurm: write job spec: %w", err)
	}
	return x.enqueue(&request{name: "evalplan:" + job.Spec.Address, spec: specFile, dir: dir})
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
	out, err := exec.CommandContext(ctx, "scontrol", "-o", "show", "job", id).CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if strings.Contains(string(out), "Invalid job id") {
			return "GONE", nil
		}
		return "", fmt.Errorf("scontrol show job %s: %v: %s", id, err, strings.TrimSpace(string(out)))
	}
	for _, f := range strings.Fields(string(out)) {
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
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return writeFileAtomic(strings.ReplaceAll(spec.Outcome, "%j", jobID), b)
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
	if s.Run == nil {
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

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// JobInfo is what squeue says about one job.
type JobInfo struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Node is the job's node list, "" while it waits.
	Node string `json:"node,omitempty"`
	// Elapsed is squeue's run time, such as "1:05" or "1-02:03:04".
	Elapsed string `json:"elapsed,omitempty"`
}

// Query asks squeue about ids in one call and returns what it knows by job id; jobs that
// left the queue are absent. It runs one squeue however many ids there are, so monitors
// can call it on every refresh.
func Query(ctx context.Context, ids []string) (map[string]JobInfo, error) {
	got := map[string]JobInfo{}
	if len(ids) == 0 {
		return got, nil
	}
	out, err := exec.CommandContext(ctx, "squeue", "-h", "-r", "-j", strings.Join(ids, ","), "-o", "%i|%T|%N|%M").Output()
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
