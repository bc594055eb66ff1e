package slurm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

// DefaultServerWait bounds how long a run job waits for its server job's URL when the
// vllm block has no start_timeout.
const DefaultServerWait = 10 * time.Minute

// ServerRef is, in a run job's spec, the server job serving one managed endpoint
// (model_server = "own_job"): the node waits for URLFile, which the server job writes once
// its server is ready.
type ServerRef struct {
	Job     string `json:"job"`
	URLFile string `json:"url_file"`
	// ErrorFile is written instead when the server did not start.
	ErrorFile string `json:"error_file"`
}

// ServeSpec is the file a server job's node reads (SPECFILE of __serve-job).
type ServeSpec struct {
	ConfigDir string `json:"config_dir"`
	Endpoint  string `json:"endpoint"`
	// Dir is the server job's directory in the shared directory: its log, the server's log
	// and launch record (Dir/_services), the URL file.
	Dir string `json:"dir"`
	// Vars are the values of the variables that are not sensitive, as apply had them.
	Vars []config.VarArg `json:"vars,omitempty"`
}

// URLFile is where the server job id writes its server's URL once ready.
func (s *ServeSpec) URLFile(job string) string { return filepath.Join(s.Dir, "url-"+job) }

// ErrorFile is where the server job id writes why its server did not start.
func (s *ServeSpec) ErrorFile(job string) string { return filepath.Join(s.Dir, "error-"+job) }

// ReadServeSpec reads a server job's spec file.
func ReadServeSpec(path string) (*ServeSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s ServeSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Endpoint == "" || s.Dir == "" {
		return nil, errors.New(path + ": no endpoint")
	}
	return &s, nil
}

// NodeURL is the URL other machines reach a server at: local's scheme, port and path on
// host (the node's host name).
func NodeURL(local, host string) (string, error) {
	u, err := url.Parse(local)
	if err != nil {
		return "", fmt.Errorf("server URL %q: %w", local, err)
	}
	u.Host = host + ":" + u.Port()
	return u.String(), nil
}

// ServerDir is the directory of endpoint's server jobs in the executor's shared directory:
// their spec, logs (slurm-JOB.out) and URL files (ServeSpec.URLFile).
func ServerDir(x *config.Executor, endpoint string) string {
	return filepath.Join(x.SharedDir, "servers", endpoint)
}

// ServerJobURL is the URL server job id wrote for endpoint once its server was ready; ""
// before then, or when the job failed to start it (see ServerJobError).
func ServerJobURL(x *config.Executor, endpoint, id string) string {
	spec := ServeSpec{Dir: ServerDir(x, endpoint)}
	b, err := os.ReadFile(spec.URLFile(id))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ServerJobError is why server job id did not start endpoint's server, "" when it has not
// said so.
func ServerJobError(x *config.Executor, endpoint, id string) string {
	spec := ServeSpec{Dir: ServerDir(x, endpoint)}
	b, err := os.ReadFile(spec.ErrorFile(id))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// serverJobs are the server jobs of one apply's executor, by endpoint name, reference
// counted by the runs that use them.
type serverJobs struct {
	mu   sync.Mutex
	jobs map[string]*serverJob
}

type serverJob struct {
	mu       sync.Mutex // serialises submission and cancellation
	id       string
	spec     *ServeSpec
	refs     int
	finished int
}

func (x *Executor) serverJob(name string) *serverJob {
	s := &x.servers
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs == nil {
		s.jobs = map[string]*serverJob{}
	}
	if s.jobs[name] == nil {
		s.jobs[name] = &serverJob{spec: &ServeSpec{ConfigDir: x.ConfigDir, Endpoint: name, Dir: ServerDir(x.Config, name), Vars: x.Vars}}
	}
	return s.jobs[name]
}

// acquireServer returns the server job serving ep for job's run (see currentServer) and
// holds a reference on it until releaseServer.
func (x *Executor) acquireServer(ctx context.Context, job *plan.Job, ep *config.Endpoint, progress plan.Progress) (ServerRef, error) {
	s := x.serverJob(ep.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, err := x.currentServer(ctx, s, job, ep, progress)
	if err == nil {
		s.refs++
	}
	return ref, err
}

// refreshServer is the server job serving ep now, for a run job submitted again: the one
// it had, or another when that one ended. It takes no reference of its own.
func (x *Executor) refreshServer(ctx context.Context, job *plan.Job, ep *config.Endpoint, progress plan.Progress) (ServerRef, error) {
	s := x.serverJob(ep.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	return x.currentServer(ctx, s, job, ep, progress)
}

// currentServer returns the server job serving ep: the one this apply submitted, the one
// the state records while Slurm still has it queued or running (re-attach), or a new one,
// recorded in state as soon as sbatch answers. s.mu is held.
func (x *Executor) currentServer(ctx context.Context, s *serverJob, job *plan.Job, ep *config.Endpoint, progress plan.Progress) (ServerRef, error) {
	addr := addrs.Endpoint{Name: ep.Name}.String()
	if s.id == "" && job.ServerJobs != nil {
		if prev := job.ServerJobs.ServerJob(ep.Name); prev != "" {
			st, err := x.jobState(ctx, prev)
			if err != nil {
				return ServerRef{}, err
			}
			if !terminal(st) {
				progress.Log(addr, fmt.Sprintf("re-attaching to slurm server job %s (%s)", prev, st))
				s.id = prev
			}
		}
	}
	if s.id != "" {
		// A server job this apply knows: still serving unless it ended (time limit).
		if st, err := x.jobState(ctx, s.id); err != nil {
			return ServerRef{}, err
		} else if terminal(st) {
			progress.Log(addr, fmt.Sprintf("slurm server job %s ended %s; submitting another", s.id, st))
			s.id = ""
		}
	}
	if s.id == "" {
		id, err := x.submitServer(s.spec)
		if err != nil {
			return ServerRef{}, fmt.Errorf("%s: submit the server job: %w", addr, err)
		}
		s.id = id
		progress.Log(addr, "submitted slurm server job "+id)
		if job.ServerJobs != nil {
			if err := job.ServerJobs.RecordServerJob(ep.Name, id); err != nil {
				return ServerRef{}, fmt.Errorf("record slurm server job %s: %w", id, err)
			}
		}
	}
	return ServerRef{Job: s.id, URLFile: s.spec.URLFile(s.id), ErrorFile: s.spec.ErrorFile(s.id)}, nil
}

// releaseServer drops job's reference on ep's server job and cancels it once the runs of
// this apply that use it have all finished (job.EndpointRuns) and none holds it, unless
// the block keeps it running. After an interruption the server job is left to the runs
// still going, unless apply cancels them (-cancel-on-interrupt).
func (x *Executor) releaseServer(ctx context.Context, job *plan.Job, ep *config.Endpoint, progress plan.Progress) {
	s := x.serverJob(ep.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	s.finished++
	if s.refs > 0 || s.id == "" || ep.Server.KeepRunning {
		return
	}
	if ctx.Err() != nil && !x.cancelOnInterrupt.Load() {
		return
	}
	if ctx.Err() == nil && s.finished < job.EndpointRuns[ep.Name] {
		return // more runs of the endpoint are still to come in this apply
	}
	addr := addrs.Endpoint{Name: ep.Name}.String()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second+2*x.Config.PollInterval)
	defer cancel()
	if out, errOut, err := x.runner().Run(cctx, "scancel", s.id); err != nil {
		progress.Log(addr, fmt.Sprintf("scancel of slurm server job %s failed (%v%s); it ends at its time limit", s.id, err, withOutput(out, errOut)))
		return
	}
	// Wait (boundedly) for the server to stop: apply ends with the GPUs given back.
	if _, err := x.wait(cctx, s.id, addr, plan.NopProgress{}); err != nil {
		progress.Log(addr, fmt.Sprintf("slurm server job %s is still ending: %v", s.id, err))
	}
	progress.Log(addr, "cancelled slurm server job "+s.id+" (its runs finished)")
	if job.ServerJobs != nil {
		if err := job.ServerJobs.RecordServerJob(ep.Name, ""); err != nil {
			progress.Log(addr, "forget slurm server job: "+err.Error())
		}
	}
	s.id = ""
}

// submitServer writes the server job's spec and submits it: sbatch with the block's
// options (gpus_per_node and all) running __serve-job.
func (x *Executor) submitServer(spec *ServeSpec) (string, error) {
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return "", fmt.Errorf("slurm: shared directory: %w", err)
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	specFile := filepath.Join(spec.Dir, "serve.json")
	if err := writeFileAtomic(specFile, b); err != nil {
		return "", fmt.Errorf("slurm: write server job spec: %w", err)
	}
	args := x.sbatchArgs("evalplan:server:"+spec.Endpoint, filepath.Join(spec.Dir, "slurm-%j.out"))
	args = append(args, "--wrap", "exec "+shellQuote(x.Config.Evalplan)+" __serve-job "+shellQuote(specFile))
	return x.sbatch(args)
}

// Discovered is the ServerPool of a run job whose managed endpoints are served by server
// jobs: Acquire waits (bounded by the vllm block's start_timeout) for the server job to
// write its URL; Release does nothing, the server job outlives the run.
type Discovered struct {
	Servers map[string]ServerRef
	// Poll is how often the URL file is looked for; 0 means 500 ms.
	Poll time.Duration
}

// Acquire implements plan.ServerPool.
func (d *Discovered) Acquire(ctx context.Context, ep *config.Endpoint) (string, error) {
	if !ep.Managed() {
		return ep.URL, nil
	}
	addr := addrs.Endpoint{Name: ep.Name}
	ref, ok := d.Servers[ep.Name]
	if !ok {
		return "", fmt.Errorf("%s: the job spec names no server job for this managed endpoint; apply again", addr)
	}
	wait := ep.Server.StartTimeout
	if wait <= 0 {
		wait = DefaultServerWait
	}
	poll := d.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(ref.URLFile); err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.TrimSpace(string(b)), nil
		}
		if b, err := os.ReadFile(ref.ErrorFile); err == nil {
			return "", fmt.Errorf("%s: slurm server job %s did not start its server: %s", addr, ref.Job, strings.TrimSpace(string(b)))
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline.C:
			return "", fmt.Errorf("%s: slurm server job %s wrote no URL to %s within %s (start_timeout): see its log %s", addr, ref.Job, ref.URLFile, wait, filepath.Join(filepath.Dir(ref.URLFile), "slurm-"+ref.Job+".out"))
		case <-tick.C:
		}
	}
}

// Release implements plan.ServerPool.
func (d *Discovered) Release(context.Context, *config.Endpoint) error { return nil }
