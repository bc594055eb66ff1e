package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/schema"
)

// The venv runtime: the harness's packages (runtime.Packages) in a managed Python
// environment instead of its image. Everything around the evaluator is the container
// path's: the run config (output_dir is the run directory itself), the local endpoint and
// its token (proxy.go), the adapter port, env and env_from_host, settle, results and
// samples. The run directory looks the same; container.log holds the process's output.

// TelemetryVar turns nemo-evaluator's telemetry off in venv runs.
const TelemetryVar = "NEMO_EVALUATOR_TELEMETRY_LEVEL"

// VenvFunc returns the prepared environment of a harness's packages; say reports progress.
type VenvFunc func(ctx context.Context, spec *plan.RunSpec, packages []string, say func(string)) (*runtime.Env, error)

// hostVars are the variables a venv run takes from evalplan's environment (a container
// gets its image's); every other variable comes from env, env_from_host and evalplan.
var hostVars = []string{"HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR"}

// venvPackages is the package set of a venv run's harness: the packages whose prepared
// environment runs it.
func venvPackages(t *schema.Task, ov *config.Override) ([]string, error) {
	if ov != nil && ov.Image != "" {
		return nil, fmt.Errorf("benchmark %s sets both image and runtime = \"venv\": remove image, or set runtime = \"docker\"", ov.Name)
	}
	pkgs, err := runtime.Packages(t)
	if err != nil {
		return nil, err
	}
	return pkgs, nil
}

// planVenv plans a venv run. Its identity holds the resolved lock of the prepared
// environment of its package set (runtime.Env.Identity), as a docker run's holds its image
// digest: the plan looks the environment up in the runtimes cache, installing nothing. One
// not prepared yet leaves the identity to apply, which prepares it first
// (plan.RunPlan.PendingRuntime, PrepareRuntime).
func (r *Runner) planVenv(ctx context.Context, req *plan.RunRequest) (*plan.RunPlan, error) {
	pkgs, err := venvPackages(req.Task, req.Override)
	if err != nil {
		return nil, err
	}
	set := strings.Join(pkgs, ",")
	cacheDir := ""
	if req.Config != nil {
		cacheDir = req.Config.Settings.CacheDir
	}
	dir := RunRuntimesDir(req.Config, req.Addr.Suite, req.Addr.Benchmark, taskName(req.Task), cacheDir)
	// A missing Python leaves the environment unprepared here; apply's Prepare says what
	// to install.
	if env, err := r.manager(ctx, dir).Lookup(ctx, pkgs); err == nil && env != nil {
		return &plan.RunPlan{Runtime: env.Identity(), Note: "runtime venv: " + set + " in the prepared Python environment " + env.Dir}, nil
	}
	return &plan.RunPlan{
		PendingRuntime: "venv:" + set,
		Note:           "runtime venv: " + set + " in a managed Python environment, not prepared yet: apply prepares it (or evalplan runtimes prepare), then knows the run's identity",
	}, nil
}

// manager is the runtime manager of the environments in dir, with the interpreter found
// once.
func (r *Runner) manager(ctx context.Context, dir string) *runtime.Manager {
	m := &runtime.Manager{Dir: dir, Environ: r.Environ}
	r.pyMu.Lock()
	defer r.pyMu.Unlock()
	if r.python == nil {
		if ip, err := m.FindPython(ctx); err == nil {
			r.python = ip
		}
	}
	m.Python = r.python
	return m
}

// PrepareRuntime implements plan.RuntimePreparer: it prepares the environment of a venv run
// planned before its environment was prepared, and returns its identity.
func (r *Runner) PrepareRuntime(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (string, error) {
	if progress == nil {
		progress = plan.NopProgress{}
	}
	env, err := r.venv(ctx, spec, func(msg string) { progress.Log(spec.Address, msg) })
	if err != nil {
		return "", err
	}
	return env.Identity(), nil
}

// runtime is the harness runtime of a run.
func (r *Runner) runtime(spec *plan.RunSpec) string {
	s := cfgSuite(r.Config, spec.Suite)
	var ov *config.Override
	if s != nil {
		ov = override(s, spec)
	}
	return config.RunRuntime(s, ov)
}

// venv prepares (or finds) the environment of a run's harness.
func (r *Runner) venv(ctx context.Context, spec *plan.RunSpec, say func(string)) (*runtime.Env, error) {
	if spec.Task == nil {
		return nil, fmt.Errorf("%s: runtime = \"venv\" needs a catalog task", spec.Address)
	}
	pkgs, err := venvPackages(spec.Task, nil)
	if err != nil {
		return nil, err
	}
	if r.Venv != nil {
		return r.Venv(ctx, spec, pkgs, say)
	}
	dir := RunRuntimesDir(r.Config, spec.Suite, spec.Benchmark, taskName(spec.Task), spec.CacheDir)
	return r.manager(ctx, dir).Prepare(ctx, pkgs, say)
}

// RunRuntimesDir is where the Python environments of a venv run live: under the shared_dir
// of the cluster executor the run goes to (SHARED_DIR/runtimes, which the submitting
// machine and the nodes see at the same path), else under the cache directory. Plan, apply
// and the node all look there.
func RunRuntimesDir(cfg *config.Config, suite, benchmark, taskName, cacheDir string) string {
	if cfg != nil {
		if x := cfg.Executors[cfg.RunExecutor(suite, benchmark, taskName)]; x != nil && x.SharedDir != "" {
			return filepath.Join(x.SharedDir, "runtimes")
		}
	}
	return RuntimesDir(cacheDir)
}

// RuntimesDir is where the managed environments live: <cache_dir>/runtimes, or the user's
// cache directory's evalplan/runtimes when no cache directory is set.
func RuntimesDir(cacheDir string) string {
	if cacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			cacheDir = filepath.Join(d, "evalplan")
		}
	}
	return filepath.Join(cacheDir, "runtimes")
}

// runInVenv is Run for the venv runtime.
func (r *Runner) runInVenv(ctx context.Context, spec *plan.RunSpec, runDir string, progress plan.Progress) (*plan.Outcome, error) {
	say := func(msg string) { progress.Log(spec.Address, msg) }
	env, err := r.venv(ctx, spec, say)
	if err != nil {
		if ctx.Err() != nil {
			return failed(fmt.Errorf("interrupted while preparing the Python environment")), ctx.Err()
		}
		return failed(fmt.Errorf("%s: prepare the Python environment: %w", spec.Address, err)), nil
	}
	// An environment may hold several harnesses (the image of one has only its own): the
	// task type names its framework, "simple_evals.mmlu", as nemo-evaluator then requires.
	a, out := r.begin(ctx, spec, runDir, progress, func(rc *RunConfig) {
		rc.Config.OutputDir = runDir
		rc.Config.Type = spec.Task.Harness + "." + spec.Task.Task
	}, fmt.Sprintf("with the Python environment %s (%s)", env.Dir, env.Identity()))
	if out != nil {
		return out, nil
	}
	defer a.close()
	spec, opts, private, logs := a.spec, a.opts, a.private, a.logs
	configPath := filepath.Join(runDir, rundir.ContainerConfigFile)
	if private != "" {
		configPath = private
	}
	started := time.Now()
	code, runErr := r.runProcess(ctx, spec, env, runDir, configPath, r.venvEnviron(env, opts), logs)
	// A process group ran, not a container, and nothing is removed.
	return r.end(ctx, a, runDir, started, code, runErr, strings.NewReplacer("the container was sent", "the evaluator's processes were sent",
		", and removed", "", "the container exited", "nemo-evaluator exited",
		"the container's log", "its log (container.log)"))
}

// venvEnviron is the environment of a venv run's process: a few host variables
// (hostVars), the venv first on PATH, telemetry off, the run's variables (opts.env: the
// endpoint token, the judge key, env, env_from_host) and hf_cache as HF_HOME.
func (r *Runner) venvEnviron(env *runtime.Env, opts *runOpts) []string {
	host := envMap(r.Environ)
	vars := map[string]string{}
	for _, k := range hostVars {
		if v, ok := host[k]; ok {
			vars[k] = v
		}
	}
	vars["PATH"] = filepath.Join(env.Dir, "bin") + string(os.PathListSeparator) + "/usr/local/bin:/usr/bin:/bin"
	vars["VIRTUAL_ENV"] = env.Dir
	vars[TelemetryVar] = "0"
	for _, kv := range opts.env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if r.Config != nil && r.Config.Settings.HFCache != "" {
		vars["HF_HOME"] = r.Config.Settings.HFCache
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// runProcess runs nemo-evaluator run_eval in the environment under the run's timeout, in a
// scratch working directory, with its own adapter port, recorded in runDir while it runs
// (cleanupLeftover).
func (r *Runner) runProcess(ctx context.Context, spec *plan.RunSpec, env *runtime.Env, runDir, configPath string, environ []string, logs io.Writer) (int64, error) {
	ctx, cancel := withRunTimeout(ctx, spec)
	defer cancel()
	port, release, err := reserveAdapterPort()
	if err != nil {
		return -1, err
	}
	defer release()
	work, err := os.MkdirTemp("", "evalplan-venv-run-*")
	if err != nil {
		return -1, err
	}
	defer os.RemoveAll(work)
	environ = append(environ, fmt.Sprintf("%s=%d", AdapterPortVar, port))
	code, err := runGroup(ctx, env.Bin("nemo-evaluator"), []string{"run_eval", "--run_config", configPath}, work, environ, logs, r.stopGrace(), runDir)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return code, errTimeout
	}
	return code, err
}
