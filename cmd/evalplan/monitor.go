package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/status"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/slurm"
)

// labelAddress is the label the container runner puts on each run's container.
const labelAddress = "dev.evalplan.address"

// cmdMonitor shows the progress of a running apply from another terminal. It only reads:
// it never takes the state lock.
func cmdMonitor(c *cli, args []string) int {
	var (
		interval time.Duration
		once     bool
		asJSON   bool
		noColor  bool
	)
	fs := newFlagSet(c, "monitor", "monitor [options]")
	fs.DurationVar(&interval, "interval", 2*time.Second, "refresh every DURATION on a terminal")
	fs.BoolVar(&once, "once", false, "print one snapshot and exit (the default off a terminal)")
	fs.BoolVar(&asJSON, "json", false, "print snapshots as JSON (one object per line when refreshing)")
	fs.BoolVar(&noColor, "no-color", false, "disable colour in the output")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(c.stderr, "Error: monitor takes no arguments, got %q\n", pos)
		return exitError
	}
	if interval <= 0 {
		fmt.Fprintln(c.stderr, "Error: -interval must be positive, such as 2s")
		return exitError
	}
	cfg, ok := c.settings()
	if !ok {
		return exitError
	}
	set := cfg.Settings
	live := c.stdoutTTY && !once
	w := &monitorView{c: c, cfg: cfg, m: &status.Monitor{StatePath: set.State, Dir: c.dir, OutputDir: set.OutputDir}, json: asJSON, redraw: live && !asJSON}
	defer w.close()
	seen := false
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s, err := w.snapshot()
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		if err := w.show(s); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		if !live || seen && s.Holder == nil {
			return exitOK
		}
		seen = seen || s.Holder != nil
		select {
		case <-c.ctx.Done():
			return exitOK
		case <-tick.C:
		}
	}
}

// monitorView takes snapshots, adds container facts and prints them.
type monitorView struct {
	c      *cli
	cfg    *config.Config
	m      *status.Monitor
	json   bool
	redraw bool

	docker *container.Client
	cpu    map[string]container.CPUSample // container id → last sample
}

func (w *monitorView) close() {
	if w.docker != nil {
		w.docker.Close()
	}
}

func (w *monitorView) snapshot() (*status.Snapshot, error) {
	s, err := w.m.Snapshot(time.Now())
	if err != nil {
		return nil, err
	}
	w.containers(s)
	w.jobs(s)
	return s, nil
}

// containers fills in the container of each container run that is running, from the Docker
// stats API; Docker errors leave the runs without container facts.
func (w *monitorView) containers(s *status.Snapshot) {
	var runs []int
	for i, r := range s.Runs {
		if r.Image != "" && r.Status == "running" {
			runs = append(runs, i)
		}
	}
	if len(runs) == 0 {
		return
	}
	if w.docker == nil {
		w.docker = container.New(container.Options{Environ: w.c.environ})
		w.cpu = map[string]container.CPUSample{}
	}
	found, err := w.docker.Find(w.c.ctx, nil)
	if err != nil {
		return
	}
	byAddr := map[string]container.Found{}
	for _, f := range found {
		if a := f.Labels[labelAddress]; a != "" && (byAddr[a].ID == "" || f.State == "running") {
			byAddr[a] = f
		}
	}
	for _, i := range runs {
		f, ok := byAddr[s.Runs[i].Address]
		if !ok {
			continue
		}
		ct := &status.Container{State: f.State, ElapsedSeconds: time.Since(f.Created).Seconds()}
		if f.State == "running" {
			st, sample, err := w.docker.Stats(w.c.ctx, f.ID, f.Created, w.cpu[f.ID])
			if err == nil {
				w.cpu[f.ID] = sample
				ct.MemoryBytes = st.MemoryBytes
				ct.ElapsedSeconds = st.Elapsed.Seconds()
				if st.CPUPercent >= 0 {
					cpu := st.CPUPercent
					ct.CPUPercent = &cpu
				}
			}
		}
		s.Runs[i].Container = ct
	}
}

// jobs fills in the live state, node and elapsed time of the runs' Slurm jobs: one squeue
// call for all of them per refresh.
func (w *monitorView) jobs(s *status.Snapshot) {
	var ids []string
	for _, r := range s.Runs {
		if r.Job != nil && r.Status == "running" {
			ids = append(ids, r.Job.ID)
		}
	}
	fillJobs(w.c.ctx, w.cfg, s.Runs, ids)
}

// fillJobs asks the cluster of each run's executor about its jobs (ids), one squeue call
// per cluster: the local Slurm commands, or an executor's ssh connection. Runs whose
// executor is not known (the configuration changed) are asked about locally.
func fillJobs(ctx context.Context, cfg *config.Config, runs []status.Run, ids []string) {
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	byCluster := map[string][]int{} // ssh executor key ("" for local) → indexes into runs
	for i, r := range runs {
		if r.Job != nil && want[r.Job.ID] {
			key := sshExecutor(cfg, r.Address)
			byCluster[key] = append(byCluster[key], i)
		}
	}
	for key, idx := range byCluster {
		var runner slurm.Runner
		if key != "" {
			ssh := slurm.NewSSHRunner(cfg.Executors[key].SSH)
			defer ssh.Close()
			runner = ssh
		}
		q := make([]string, len(idx))
		for k, i := range idx {
			q[k] = runs[i].Job.ID
		}
		info, err := slurm.Query(ctx, runner, q)
		if err != nil {
			continue
		}
		for _, i := range idx {
			j := runs[i].Job
			if in, ok := info[j.ID]; ok {
				j.State, j.Node, j.Elapsed = in.State, in.Node, in.Elapsed
			}
		}
	}
}

// sshExecutor is the key ("slurm.NAME") of the executor with an ssh block that the run at
// addr executes on, or "" when it submits with the local Slurm commands.
func sshExecutor(cfg *config.Config, addr string) string {
	if cfg == nil {
		return ""
	}
	r, err := addrs.ParseRun(addr)
	if err != nil {
		return ""
	}
	key := cfg.RunExecutor(r.Suite, r.Benchmark, "")
	if e := cfg.Executors[key]; e != nil && e.SSH != nil {
		return key
	}
	return ""
}

func (w *monitorView) show(s *status.Snapshot) error {
	out := w.c.stdout
	if w.json {
		return json.NewEncoder(out).Encode(s)
	}
	var b strings.Builder
	if w.redraw {
		b.WriteString("\x1b[H\x1b[2J") // home, clear screen
	}
	if err := status.WriteSnapshot(&b, s); err != nil {
		return err
	}
	if w.redraw {
		b.WriteString("\nRefreshing; Ctrl-C to stop watching (the apply goes on).\n")
	}
	_, err := io.WriteString(out, b.String())
	return err
}
