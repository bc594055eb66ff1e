package slurm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// ArrayThreshold is the number of runs ready within one BatchWindow above which they
	// are submitted as one job array rather than one job each.
	ArrayThreshold = 20
	// BatchWindow is how long the first run ready waits for others to join its batch.
	BatchWindow = 300 * time.Millisecond
	// submitGap is the least time between two sbatch calls: at most 5 a second.
	submitGap = 200 * time.Millisecond
)

// request is one run waiting to be submitted: its spec and run directory.
type request struct {
	name, spec, dir string
	done            chan submitted
	// run is the run with its outcome path, for a group spec.
	run GroupRun
	// group names the managed endpoints the run starts in its job ("in_job"): the runs
	// of a batch with the same group share one job. "" for a job of its own.
	group string
	// extra are sbatch arguments of this run's job (a --dependency on server jobs);
	// noGPUs leaves the block's gpus_per_node out.
	extra  []string
	noGPUs bool
	// window, when longer than BatchWindow, is how long the batch this request opens
	// gathers: the runs of a shared job that the cluster ended notice it up to a poll
	// interval apart, and should go again as one job.
	window time.Duration
}

type submitted struct {
	id  string
	err error
}

// batcher gathers the runs that become ready together and submits them as one job array
// when there are many, paced to submitGap between sbatch calls.
type batcher struct {
	mu      sync.Mutex
	pending []*request
	armed   bool
	next    time.Time // earliest time of the next sbatch call

	arrayOnce sync.Once
	arrayMax  int // the most tasks of one array (maxArray)
}

// enqueue submits r with the runs ready within BatchWindow and returns its job id:
// "ID" for a job of its own, "ARRAYID_TASK" for a task of an array. It waits for the
// answer even when ctx ends, so that no job is submitted without its id reaching state.
func (x *Executor) enqueue(r *request) (string, error) {
	b := &x.batch
	r.done = make(chan submitted, 1)
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if !b.armed {
		b.armed = true
		time.AfterFunc(max(BatchWindow, r.window), x.flush)
	}
	b.mu.Unlock()
	res := <-r.done
	return res.id, res.err
}

// flush submits the batch gathered so far.
func (x *Executor) flush() {
	b := &x.batch
	b.mu.Lock()
	all := b.pending
	b.pending, b.armed = nil, false
	b.mu.Unlock()
	// Runs that start the same managed endpoints go as one job; the others by their
	// extra sbatch arguments (a dependency on a server job), in arrays when many.
	var keys []string
	parts := map[string][]*request{}
	for _, r := range all {
		key := "\x00" + strings.Join(r.extra, "\x00")
		if r.group != "" {
			key = r.group
		}
		if parts[key] == nil {
			keys = append(keys, key)
		}
		parts[key] = append(parts[key], r)
	}
	for _, key := range keys {
		reqs := parts[key]
		if reqs[0].group != "" && len(reqs) > 1 {
			x.submitGroup(reqs)
			continue
		}
		if len(reqs) > ArrayThreshold {
			// The controller refuses arrays past its MaxArraySize: larger batches go as several.
			size := x.maxArray()
			for len(reqs) > 0 {
				n := min(len(reqs), size)
				x.submitArray(reqs[:n])
				reqs = reqs[n:]
			}
			continue
		}
		for _, r := range reqs {
			args := x.jobArgs(r, r.name, filepath.Join(r.dir, "slurm-%j.out"))
			args = append(args, "--wrap", "exec "+shellQuote(x.Config.Evalplan)+" __run-job "+shellQuote(r.spec))
			id, err := x.sbatch(args)
			r.done <- submitted{id, err}
		}
	}
}

// jobArgs are the sbatch options of r's job: the block's, less gpus_per_node when r asks,
// and r's extra arguments.
func (x *Executor) jobArgs(r *request, name, output string) []string {
	args := x.sbatchArgs(name, output)
	if r.noGPUs {
		args = slices.DeleteFunc(args, func(a string) bool { return strings.HasPrefix(a, "--gpus-per-node=") })
	}
	return append(args, r.extra...)
}

// submitGroup submits reqs (runs of the same managed endpoints) as one job whose spec
// lists them all: the node starts the endpoints' servers once and carries out every run.
// Each run records the same job id.
func (x *Executor) submitGroup(reqs []*request) {
	fail := func(err error) {
		for _, r := range reqs {
			r.done <- submitted{err: err}
		}
	}
	dir := filepath.Join(x.Config.SharedDir, "groups", fmt.Sprintf("%d", time.Now().UnixNano()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(fmt.Errorf("slurm: shared directory: %w", err))
		return
	}
	spec := Spec{ConfigDir: x.ConfigDir, Vars: x.Vars}
	for _, r := range reqs {
		spec.Group = append(spec.Group, r.run)
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		fail(err)
		return
	}
	specFile := filepath.Join(dir, "spec.json")
	if err := writeFileAtomic(specFile, b); err != nil {
		fail(fmt.Errorf("slurm: write job spec: %w", err))
		return
	}
	name := fmt.Sprintf("evalplan:%s(%d runs)", reqs[0].group, len(reqs))
	args := x.jobArgs(reqs[0], name, filepath.Join(x.Config.SharedDir, "groups", "slurm-%j.out"))
	args = append(args, "--wrap", "exec "+shellQuote(x.Config.Evalplan)+" __run-job "+shellQuote(specFile))
	id, err := x.sbatch(args)
	for _, r := range reqs {
		r.done <- submitted{id, err}
	}
}

// DefaultMaxArray is the most tasks of one job array when the controller's MaxArraySize is
// unknown: Slurm's default MaxArraySize, 1001, allows task ids 0 to 1000.
const DefaultMaxArray = 1000

// maxArray is the most tasks one job array may have: the controller's MaxArraySize less one
// (task ids start at 0), asked once (scontrol show config), else DefaultMaxArray.
func (x *Executor) maxArray() int {
	b := &x.batch
	b.arrayOnce.Do(func() {
		b.arrayMax = DefaultMaxArray
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _, err := x.runner().Run(ctx, "scontrol", "show", "config")
		if err != nil {
			return
		}
		if n, ok := parseMaxArraySize(string(out)); ok {
			b.arrayMax = max(n-1, 1) // MaxArraySize = 1: arrays of task 0 only
		}
	})
	return b.arrayMax
}

// parseMaxArraySize reads MaxArraySize from `scontrol show config`.
func parseMaxArraySize(config string) (int, bool) {
	for _, line := range strings.Split(config, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != "MaxArraySize" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil && n > 0
	}
	return 0, false
}

// submitArray submits reqs as one array whose task N runs the N-th spec of a list file.
func (x *Executor) submitArray(reqs []*request) {
	fail := func(err error) {
		for _, r := range reqs {
			r.done <- submitted{err: err}
		}
	}
	dir := filepath.Join(x.Config.SharedDir, "arrays")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(fmt.Errorf("slurm: shared directory: %w", err))
		return
	}
	var list strings.Builder
	for _, r := range reqs {
		list.WriteString(r.spec + "\n")
	}
	listFile := filepath.Join(dir, fmt.Sprintf("%d.list", time.Now().UnixNano()))
	if err := writeFileAtomic(listFile, []byte(list.String())); err != nil {
		fail(fmt.Errorf("slurm: write array list: %w", err))
		return
	}
	args := x.jobArgs(reqs[0], "evalplan:array", filepath.Join(dir, "slurm-%A_%a.out"))
	args = append(args, fmt.Sprintf("--array=0-%d", len(reqs)-1), "--wrap",
		`exec `+shellQuote(x.Config.Evalplan)+` __run-job "$(sed -n "$((SLURM_ARRAY_TASK_ID+1))p" `+shellQuote(listFile)+`)"`)
	id, err := x.sbatch(args)
	if err != nil {
		fail(err)
		return
	}
	for i, r := range reqs {
		r.done <- submitted{id: fmt.Sprintf("%s_%d", id, i)}
	}
}

// sbatch runs sbatch, no sooner than submitGap after the previous call, and returns the
// job id it answers.
func (x *Executor) sbatch(args []string) (string, error) {
	b := &x.batch
	b.mu.Lock()
	now := time.Now()
	at := b.next
	if at.Before(now) {
		at = now
	}
	b.next = at.Add(submitGap)
	b.mu.Unlock()
	time.Sleep(time.Until(at))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, errOut, err := x.runner().Run(ctx, "sbatch", args...)
	if err != nil {
		return "", fmt.Errorf("sbatch: %w%s", err, withOutput(out, errOut))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "ID" or "ID;CLUSTER"
	if id == "" {
		return "", fmt.Errorf("sbatch answered no job id")
	}
	return id, nil
}

// logPath is the log of job id of the run in dir: array tasks log under shared_dir/arrays,
// jobs of several runs under shared_dir/groups.
func (x *Executor) logPath(dir, id string) string {
	if strings.Contains(id, "_") {
		return filepath.Join(x.Config.SharedDir, "arrays", "slurm-"+id+".out")
	}
	if p := filepath.Join(x.Config.SharedDir, "groups", "slurm-"+id+".out"); fileExists(p) {
		return p
	}
	return filepath.Join(dir, "slurm-"+id+".out")
}

// queue is the last squeue listing of this user's jobs, shared by every run's wait: one
// squeue call per half poll interval however many jobs apply waits for.
type queue struct {
	mu   sync.Mutex
	at   time.Time
	jobs map[string]string // job id → state, or stateNeverRuns
}

// stateNeverRuns is the state evalplan gives a pending job whose dependency can no longer
// be satisfied (squeue's reason DependencyNeverSatisfied: the model server job it waits
// for ended first). Slurm would keep it pending forever; wait cancels it.
const stateNeverRuns = "DEPENDENCY_NEVER_SATISFIED"

// queued returns id's state from a listing at most half a poll interval old; ok is false
// when the job is not in the queue.
func (x *Executor) queued(ctx context.Context, id string) (string, bool, error) {
	q := &x.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.jobs == nil || time.Since(q.at) > x.Config.PollInterval/2 {
		out, errOut, err := x.runner().Run(ctx, "squeue", "--me", "-h", "-r", "-o", "%i|%T|%r")
		if err != nil {
			if ctx.Err() != nil {
				return "", false, ctx.Err()
			}
			return "", false, fmt.Errorf("squeue: %w%s", err, withOutput(nil, errOut))
		}
		q.jobs, q.at = map[string]string{}, time.Now()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.SplitN(line, "|", 3)
			if len(f) < 2 {
				continue
			}
			q.jobs[f[0]] = f[1]
			if len(f) == 3 && f[1] == "PENDING" && strings.TrimSpace(f[2]) == "DependencyNeverSatisfied" {
				q.jobs[f[0]] = stateNeverRuns
			}
		}
	}
	st, ok := q.jobs[id]
	return st, ok, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
