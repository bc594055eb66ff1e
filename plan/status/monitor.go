package status

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
)

// Monitor follows the runs of an apply from outside it, read-only: it never takes the state
// lock and never writes. Each Snapshot rereads the state file and reads only what the
// journals gained since the previous Snapshot. A Monitor is not safe for concurrent use.
type Monitor struct {
	// StatePath is the state file; Dir the configuration directory that run_dir paths in
	// state are relative to; OutputDir the output directory every run directory must be
	// under (a run_dir elsewhere is reported as an error and never read).
	StatePath, Dir, OutputDir string
	// Window is the rate window of each run's Meter; 0 means DefaultWindow.
	Window time.Duration

	runs map[string]*followed // by run directory
	last *state.Holder        // the holder the previous Snapshot saw
}

// followed is one run directory being followed.
type followed struct {
	journal  *Journal
	requests *Journal // a container run's request journal, while it has no per-sample one
	meter    Meter
	total    int64
}

// Snapshot is the state of an apply at one moment.
type Snapshot struct {
	Time time.Time `json:"time"`
	// Holder is the process holding the state lock; nil when none does.
	Holder *state.Holder `json:"holder"`
	// Runs are the runs in progress, and those that finished since the holder started,
	// sorted by address; empty when nothing holds the lock.
	Runs []Run `json:"runs"`
	// Ended is the holder an earlier Snapshot of this Monitor saw, when it no longer holds
	// the lock: its apply ended, and Runs are those it finished.
	Ended *state.Holder `json:"ended,omitempty"`
	// Interrupted are runs state records as running although nothing holds the lock: a
	// crashed apply left them; the next apply resumes them.
	Interrupted []string `json:"interrupted,omitempty"`
	// Servers are the GPU readings of the managed servers the running apply watches.
	Servers []ServerGPUs `json:"servers,omitempty"`
}

// Run is the progress of one run.
type Run struct {
	Address string `json:"address"`
	Status  string `json:"status"`
	RunDir  string `json:"run_dir,omitempty"`
	// Image is the container image of a container run; "" for native runs.
	Image      string     `json:"image,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Done and Errors count distinct samples journaled and those whose last line is an
	// error; Total is the selection size, 0 when unknown (container runs).
	Done   int64 `json:"done"`
	Total  int64 `json:"total"`
	Errors int64 `json:"errors"`
	// RequestsPerSecond is nil until two snapshots saw the run.
	RequestsPerSecond *float64 `json:"requests_per_second"`
	// ETASeconds is nil when unknown.
	ETASeconds *float64 `json:"eta_seconds"`
	// LastErrors are the latest journaled errors, "ID: message".
	LastErrors []string `json:"last_errors,omitempty"`
	// Error is the error state records for the run (a partial or failed run).
	Error string `json:"error,omitempty"`
	// Container is filled in by the caller for container runs.
	Container *Container `json:"container,omitempty"`
	// Job is the cluster job state records for the run; the caller fills in its live
	// state, node and elapsed time.
	Job *ClusterJob `json:"job,omitempty"`
}

// ClusterJob is a run's cluster (Slurm) job.
type ClusterJob struct {
	ID string `json:"id"`
	// State is the scheduler's state ("RUNNING", "PENDING"); "" when the job left the
	// queue or was not asked about.
	State   string `json:"state,omitempty"`
	Node    string `json:"node,omitempty"`
	Elapsed string `json:"elapsed,omitempty"`
}

// Container is the live state of a run's container.
type Container struct {
	State string `json:"state"` // running, exited, ...
	// CPUPercent is of one core, nil when unknown (the first sample).
	CPUPercent     *float64 `json:"cpu_percent"`
	MemoryBytes    uint64   `json:"memory_bytes"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	ExitCode       *int64   `json:"exit_code,omitempty"`
}

// clusterRuns adds the interrupted runs that have a cluster job to s.Runs: their jobs go on
// without apply, so their journals still move.
func (m *Monitor) clusterRuns(s *Snapshot, f *state.File, now time.Time) error {
	for _, addr := range s.Interrupted {
		r := f.Resources[addr]
		if r.Job == "" {
			continue
		}
		run, err := m.progress(addr, r, now)
		if err != nil {
			return err
		}
		s.Runs = append(s.Runs, run)
	}
	return nil
}

// Snapshot reads the lock holder, the state and the journals of the runs it shows. now is the
// time the rates are measured at.
func (m *Monitor) Snapshot(now time.Time) (*Snapshot, error) {
	h, held, err := LockHolder(m.StatePath)
	if err != nil {
		return nil, err
	}
	f, err := state.Load(m.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = state.New(""), nil
	}
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Time: now, Runs: []Run{}}
	switch {
	case held:
		s.Holder = &h
	case m.last != nil:
		s.Ended, h = m.last, *m.last
	}
	m.last = s.Holder
	if s.Holder == nil {
		for addr, r := range f.Resources {
			if r.Type == "run" && r.Status == state.StatusRunning {
				s.Interrupted = append(s.Interrupted, addr)
			}
		}
		sort.Strings(s.Interrupted)
		if s.Ended == nil {
			return s, m.clusterRuns(s, f, now)
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(f.Resources)) {
		r := f.Resources[addr]
		if !inApply(r, h, s.Holder != nil) {
			continue
		}
		run, err := m.progress(addr, r, now)
		if err != nil {
			return nil, err
		}
		s.Runs = append(s.Runs, run)
	}
	if s.Holder != nil && m.OutputDir != "" {
		if s.Servers, err = ReadServerGPUs(m.OutputDir, s.Holder.Started); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// inApply reports whether a run belongs to the apply of holder h: running now (while h holds
// the lock), or finished since h started.
func inApply(r *state.Resource, h state.Holder, holding bool) bool {
	if r.Type != "run" {
		return false
	}
	if r.Status == state.StatusRunning {
		return holding
	}
	return r.FinishedAt != nil && !h.Started.IsZero() && !r.FinishedAt.Before(h.Started)
}

// progress reads one run's directory.
func (m *Monitor) progress(addr string, r *state.Resource, now time.Time) (Run, error) {
	run := Run{Address: addr, Status: string(r.Status), RunDir: r.RunDir, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Error: r.Error, Image: image(r)}
	if r.Job != "" {
		run.Job = &ClusterJob{ID: r.Job}
	}
	if r.RunDir == "" {
		return run, nil
	}
	dir, err := rundir.Resolve(m.Dir, m.OutputDir, r.RunDir)
	if err != nil {
		return run, fmt.Errorf("%s in %s: %w", addr, m.StatePath, err)
	}
	if m.runs == nil {
		m.runs = map[string]*followed{}
	}
	fl := m.runs[dir]
	if fl == nil {
		fl = &followed{
			journal:  NewJournal(filepath.Join(dir, rundir.JournalFile)),
			requests: NewRequestsJournal(filepath.Join(dir, rundir.RequestsFile)),
			meter:    Meter{Window: m.Window},
		}
		m.runs[dir] = fl
	}
	if fl.total == 0 {
		n, err := rundir.SelectionSize(dir)
		if err != nil {
			return run, fmt.Errorf("%s: %w", addr, err)
		}
		fl.total = n
	}
	c, err := fl.journal.Read()
	if err != nil {
		return run, fmt.Errorf("%s: %w", addr, err)
	}
	total := fl.total
	if c.Lines == 0 {
		// A container run writes its per-sample journal only at its end; until then its
		// request journal says how far it is (requests sent, of an unknown total).
		rc, err := fl.requests.Read()
		if err != nil {
			return run, fmt.Errorf("%s: %w", addr, err)
		}
		if rc.Lines > 0 {
			c, total = rc, 0
		}
	}
	run.Done, run.Errors, run.Total, run.LastErrors = c.Done, c.Errors, total, c.LastErrors
	if r.Status != state.StatusRunning {
		return run, nil
	}
	fl.meter.Observe(now, c.Lines)
	if rate, ok := fl.meter.Rate(); ok {
		run.RequestsPerSecond = &rate
		if eta, ok := ETA(remaining(run), rate); ok && run.Total > 0 {
			secs := eta.Seconds()
			run.ETASeconds = &secs
		}
	}
	return run, nil
}

// image is the container image state records in a run's benchmark inputs.
func image(r *state.Resource) string {
	b, _ := r.Inputs["benchmark"].(map[string]any)
	img, _ := b["image"].(string)
	return img
}

// remaining is how many selected samples have no journal line yet.
func remaining(r Run) int64 { return max(r.Total-r.Done, 0) }
