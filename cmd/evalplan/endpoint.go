package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/plan/status"
	"github.com/evalplan/evalplan/providers/slurm"
	"github.com/evalplan/evalplan/providers/vllm"
)

const endpointUsage = "Usage: evalplan endpoint list | status [NAME] | start NAME | stop NAME [options]"

// cmdEndpoint lists, starts and stops the managed endpoints' servers (vllm, sglang and nim blocks).
func cmdEndpoint(c *cli, args []string) int {
	if len(args) == 0 || !slices.Contains([]string{"list", "status", "start", "stop"}, args[0]) {
		return c.subcommandUsage(args, endpointUsage)
	}
	var (
		f      commonFlags
		asJSON bool
	)
	fs := newFlagSet(c, "endpoint "+args[0], "endpoint "+args[0]+" [options] [NAME]")
	f.registerVars(fs)
	f.registerInput(fs)
	if args[0] == "list" || args[0] == "status" {
		fs.BoolVar(&asJSON, "json", false, "print the servers as JSON")
	}
	pos, code, ok := parseArgs(c, fs, args[1:])
	if !ok {
		return code
	}
	needName := args[0] == "start" || args[0] == "stop"
	if len(pos) > 1 || (needName && len(pos) == 0) || (args[0] == "list" && len(pos) > 0) {
		fmt.Fprintln(c.stderr, endpointUsage)
		return exitError
	}
	s, code, ok := c.open(&f, append([]string{"endpoint"}, args...), configOnly())
	if !ok {
		return code
	}
	cfg := s.loaded.cfg
	prov, ok := s.loaded.engine.Services.(*vllm.Provider)
	if !ok {
		fmt.Fprintln(c.stderr, "Error: this build has no managed-endpoint provider")
		return exitError
	}
	eps, ok := managedEndpoints(c, cfg, pos)
	if !ok {
		return exitError
	}
	switch args[0] {
	case "start":
		return endpointStart(c, prov, eps[0])
	case "stop":
		return endpointStop(c, prov, eps[0])
	}
	var sts []endpointRow
	for _, ep := range eps {
		sts = append(sts, endpointRow{ServerStatus: prov.Status(c.ctx, ep)})
	}
	// Servers that run as Slurm jobs of their own (model_server = "own_job"): the job the
	// state records for each endpoint, as the cluster knows it now.
	if st, _, err := c.readState(s.path); err == nil {
		fillServerJobs(c.ctx, cfg, st, sts)
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sts); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		return exitOK
	}
	if args[0] == "status" {
		printServerDetails(c, sts)
	} else {
		printServers(c, sts)
	}
	return exitOK
}

// managedEndpoints are the configuration's managed endpoints, sorted, or the one named.
func managedEndpoints(c *cli, cfg *config.Config, names []string) ([]*config.Endpoint, bool) {
	var out []*config.Endpoint
	for _, name := range slices.Sorted(maps.Keys(cfg.Endpoints)) {
		ep := cfg.Endpoints[name]
		if ep.Managed() && (len(names) == 0 || names[0] == name || names[0] == "endpoint."+name) {
			out = append(out, ep)
		}
	}
	if len(names) > 0 && len(out) == 0 {
		fmt.Fprintf(c.stderr, "Error: the configuration has no managed endpoint %q (an endpoint block with a vllm, sglang or nim block); 'evalplan endpoint list' lists them\n", names[0])
		return nil, false
	}
	return out, true
}

func endpointStart(c *cli, prov *vllm.Provider, ep *config.Endpoint) int {
	fmt.Fprintf(c.stdout, "Starting endpoint.%s (%s runtime, model %q); waiting until it is ready...\n", ep.Name, ep.Server.Runtime, ep.Model)
	st, err := prov.StartKept(c.ctx, ep)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: endpoint.%s: start: %v\n", ep.Name, err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "endpoint.%s is running at %s (%s). Applies reuse it and leave it running; 'evalplan endpoint stop %s' stops it.\n", ep.Name, st.URL, st.Process(), ep.Name)
	return exitOK
}

func endpointStop(c *cli, prov *vllm.Provider, ep *config.Endpoint) int {
	st := prov.Status(c.ctx, ep)
	stopped, err := prov.StopKept(c.ctx, ep)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if !stopped {
		fmt.Fprintf(c.stdout, "endpoint.%s has no running server.\n", ep.Name)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "Stopped the server of endpoint.%s (%s).\n", ep.Name, st.Process())
	return exitOK
}

func printServers(c *cli, sts []endpointRow) {
	if len(sts) == 0 {
		fmt.Fprintln(c.stdout, "No managed endpoints: the configuration has no endpoint with a vllm, sglang or nim block.")
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tKIND\tSTATE\tURL\tSINCE\tPROCESS\tGPU MEMORY\tKEPT")
	for _, st := range sts {
		url, since := "-", "-"
		if st.State != vllm.StateStopped {
			url, since = st.URL, st.StartedAt.Local().Format(time.DateTime)
		}
		kept := "no"
		if st.Kept {
			kept = "yes"
		}
		state, process := st.State, st.Process()
		if j := st.Job; j != nil && st.State == vllm.StateStopped {
			state, process, url, since = j.describe(), j.where(), orDash(j.URL), "-"
		}
		fmt.Fprintf(tw, "endpoint.%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Endpoint, st.Kind, state, url, since, process, status.DescribeGPUMemory(st.GPUs), kept)
	}
	tw.Flush()
}

func printServerDetails(c *cli, sts []endpointRow) {
	for i, st := range sts {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		state := st.State
		if st.Job != nil && st.State == vllm.StateStopped {
			state = st.Job.describe()
		}
		fmt.Fprintf(c.stdout, "endpoint.%s: %s (%s, %s runtime)\n", st.Endpoint, state, st.Kind, st.Runtime)
		if j := st.Job; j != nil {
			fmt.Fprintf(c.stdout, "  server job of executor.%s (model_server = \"own_job\"): %s\n", j.Executor, j.describe())
			if j.Node != "" {
				fmt.Fprintf(c.stdout, "  node:    %s, running %s\n", j.Node, j.Elapsed)
			}
			if j.URL != "" {
				fmt.Fprintf(c.stdout, "  url:     %s\n", j.URL)
			}
			if j.Error != "" {
				fmt.Fprintf(c.stdout, "  error:   %s\n", j.Error)
			}
			fmt.Fprintf(c.stdout, "  log:     %s\n", rel(c.dir, j.Log))
			if st.State == vllm.StateStopped {
				continue
			}
		}
		if st.State == vllm.StateStopped {
			fmt.Fprintf(c.stdout, "  apply starts it when a run needs it; 'evalplan endpoint start %s' starts it now\n", st.Endpoint)
			continue
		}
		fmt.Fprintf(c.stdout, "  url:     %s\n  process: %s\n  since:   %s\n  kept:    %v\n  log:     %s\n", st.URL, st.Process(), st.StartedAt.Local().Format(time.DateTime), st.Kept, rel(c.dir, st.Log))
		switch {
		case len(st.GPUs) > 0:
			for _, g := range st.GPUs {
				fmt.Fprintf(c.stdout, "  %s\n", status.DescribeGPU(g))
			}
		case st.GPUNote != "":
			fmt.Fprintf(c.stdout, "  GPU memory: not available (%s)\n", st.GPUNote)
		}
		if !st.Current {
			fmt.Fprintln(c.stdout, "  launched with other settings than the configuration's: apply replaces it")
		}
	}
}

// endpointRow is a managed endpoint as endpoint list and status show it: its server on
// this machine and, when the state records one, its Slurm server job.
type endpointRow struct {
	vllm.ServerStatus
	Job *serverJobInfo `json:"slurm_job,omitempty"`
}

// serverJobInfo is the Slurm server job serving an endpoint (an executor's model_server =
// "own_job"), as squeue and the job's files in the shared directory say.
type serverJobInfo struct {
	ID       string `json:"id"`
	Executor string `json:"executor"`
	// State is squeue's state, "" when the job has left the queue.
	State   string `json:"state,omitempty"`
	Node    string `json:"node,omitempty"`
	Elapsed string `json:"elapsed,omitempty"`
	// URL is where the job serves, once its server is ready.
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
	Log   string `json:"log"`
}

// describe is the job's state in a few words.
func (j *serverJobInfo) describe() string {
	switch {
	case j.State == "":
		return "slurm job " + j.ID + " ended"
	case j.State == "RUNNING" && j.URL == "" && j.Error == "":
		return "slurm job " + j.ID + " RUNNING (server starting)"
	}
	return "slurm job " + j.ID + " " + j.State
}

// where is the job's node, or "-".
func (j *serverJobInfo) where() string {
	if j.Node == "" {
		return "-"
	}
	return "node " + j.Node
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fillServerJobs sets Job on the rows whose endpoint has a Slurm server job recorded in st:
// the executor is the one whose model_server = "own_job" the endpoint's runs use, asked
// with one squeue per cluster.
func fillServerJobs(ctx context.Context, cfg *config.Config, st *state.File, rows []endpointRow) {
	byExec := map[string][]int{}
	for i := range rows {
		res := st.Resources[addrs.Endpoint{Name: rows[i].Endpoint}.String()]
		if res == nil || res.Job == "" {
			continue
		}
		key := serverExecutor(cfg, rows[i].Endpoint)
		if key == "" {
			continue
		}
		x := cfg.Executors[key]
		rows[i].Job = &serverJobInfo{ID: res.Job, Executor: key,
			Log: filepath.Join(slurm.ServerDir(x, rows[i].Endpoint), "slurm-"+res.Job+".out")}
		byExec[key] = append(byExec[key], i)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for key, idx := range byExec {
		x := cfg.Executors[key]
		var runner slurm.Runner
		if x.SSH != nil {
			ssh := slurm.NewSSHRunner(x.SSH)
			defer ssh.Close()
			runner = ssh
		}
		ids := make([]string, len(idx))
		for k, i := range idx {
			ids[k] = rows[i].Job.ID
		}
		info, err := slurm.Query(ctx, runner, ids)
		if err != nil {
			continue
		}
		for _, i := range idx {
			j := rows[i].Job
			if in, ok := info[j.ID]; ok {
				j.State, j.Node, j.Elapsed = in.State, in.Node, in.Elapsed
			}
			j.URL = slurm.ServerJobURL(x, rows[i].Endpoint, j.ID)
			j.Error = slurm.ServerJobError(x, rows[i].Endpoint, j.ID)
		}
	}
}

// serverExecutor is the key ("slurm.NAME") of the executor with model_server = "own_job"
// that runs of endpoint execute on, "" when none does.
func serverExecutor(cfg *config.Config, endpoint string) string {
	for _, name := range slices.Sorted(maps.Keys(cfg.Suites)) {
		s := cfg.Suites[name]
		if !slices.Contains(s.Endpoints, endpoint) {
			continue
		}
		keys := []string{cfg.RunExecutor(name, "", "")}
		for _, ov := range s.Overrides {
			keys = append(keys, ov.Executor)
		}
		for _, key := range keys {
			if x := cfg.Executors[key]; x != nil && x.ModelServer == config.ModelServerOwnJob {
				return key
			}
		}
	}
	return ""
}
