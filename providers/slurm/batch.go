package slurm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
		time.AfterFunc(BatchWindow, x.flush)
	}
	b.mu.Unlock()
	res := <-r.done
	return res.id, res.err
}

// flush submits the batch gathered so far.
func (x *Executor) flush() {
	b := &x.batch
	b.mu.Lock()
	reqs := b.pending
	b.pending, b.armed = nil, false
	b.mu.Unlock()
	if len(reqs) > ArrayThreshold {
		// The controller refuses arrays past its MaxArraySize: larger batches go as several.
		size := x.maxArray()
		for len(reqs) > 0 {
			n := min(len(reqs), size)
			x.submitArray(reqs[:n])
			reqs = reqs[n:]
		}
		return
	}
	for _, r := range reqs {
		args := x.sbatchArgs(r.name, filepath.Join(r.dir, "slurm-%j.out"))
		args = append(args, "--wrap", "exec "+shellQuote(x.Config.Evalplan)+" __run-job "+shellQuote(r.spec))
		id, err := x.sbatch(args)
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
		out, err := exec.CommandContext(ctx, "scontrol", "show", "config").Output()
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
	args := x.sbatchArgs("evalplan:array", filepath.Join(dir, "slurm-%A_%a.out"))
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
	out, err := exec.CommandContext(ctx, "sbatch", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("sbatch: %v: %s", err, strings.TrimSpace(string(out)))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "ID" or "ID;CLUSTER"
	if id == "" {
		return "", fmt.Errorf("sbatch answered no job id")
	}
	return id, nil
}

// logPath is the log of job id of the run in dir: array tasks log under shared_dir/arrays.
func (x *Executor) logPath(dir, id string) string {
	if strings.Contains(id, "_") {
		return filepath.Join(x.Config.SharedDir, "arrays", "slurm-"+id+".out")
	}
	return filepath.Join(dir, "slurm-"+id+".out")
}

// queue is the last squeue listing of this user's jobs, shared by every run's wait: one
// squeue call per half poll interval however many jobs apply waits for.
type queue struct {
	mu   sync.Mutex
	at   time.Time
	jobs map[string]string // job id → state
}

// queued returns id's state from a listing at most half a poll interval old; ok is false
// when the job is not in the queue.
func (x *Executor) queued(ctx context.Context, id string) (string, bool, error) {
	q := &x.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.jobs == nil || time.Since(q.at) > x.Config.PollInterval/2 {
		out, err := exec.CommandContext(ctx, "squeue", "--me", "-h", "-r", "-o", "%i|%T").Output()
		if err != nil {
			if ctx.Err() != nil {
				return "", false, ctx.Err()
			}
			return "", false, fmt.Errorf("squeue: %w", err)
		}
		q.jobs, q.at = map[string]string{}, time.Now()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if jid, st, ok := strings.Cut(line, "|"); ok {
				q.jobs[jid] = st
			}
		}
	}
	st, ok := q.jobs[id]
	return st, ok, nil
}
