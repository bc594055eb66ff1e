package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/schema"
)

// catalogRegistry is the prefix that the evalplan block's image_mirror replaces.
const catalogRegistry = "nvcr.io/nvidia/eval-factory/"

// tailLines is how many of the container's last log lines a failure message carries.
const tailLines = 15

// Runner runs NeMo Evaluator container tasks. It implements plan.Runner.
type Runner struct {
	// Docker is the container provider; nil means one for Environ's DOCKER_HOST, created on
	// first use.
	Docker *container.Client
	// Config supplies the image_mirror setting and the benchmark blocks' image overrides,
	// which decide each run's image exactly as the run's identity does.
	Config *config.Config
	// Environ is the environment (DOCKER_HOST, NGC_API_KEY, DOCKER_CONFIG, HOME) for the
	// default Docker client, and the host environment of venv runs (venv.go); nil means the
	// process environment.
	Environ []string
	// Venv returns the prepared Python environment of a harness for runs whose runtime is
	// venv (venv.go); nil means runtime.Manager under the run's cache directory.
	Venv VenvFunc
	// StatusEvery is how often a running container's CPU and memory are reported through
	// Progress.Log; default 5 s.
	StatusEvery time.Duration
	// Counters say how many samples a finished run scored (neither harness writes
	// stats.count); nil means DefaultCounters. The first that knows is taken; when none
	// does, the result's N is marked unknown (result.Result.NUnknown).
	Counters []Counter
	// StopGrace is how long a container that ran past its timeout, or whose run was
	// interrupted, has between SIGTERM and SIGKILL; 0 means DefaultStopGrace.
	StopGrace time.Duration
	// Requests is the request stack behind each run's local endpoint (proxy.go): the
	// native runner's, so that container and native runs share the response cache and each
	// endpoint's limiter. Nil means a client with retries, without cache.
	Requests RequestsFunc
	// InJob says the runner carries out runs inside a cluster job (evalplan __run-job):
	// container runs whose executor sets containers = "pyxis" then start their evaluator as
	// a job step in the image (srun --container-image, pyxis.go) instead of through Docker.
	InJob bool

	once sync.Once
	// python is the interpreter the venv runtime found, once found (venv.go).
	pyMu   sync.Mutex
	python *runtime.Interpreter
}

var _ plan.Runner = (*Runner)(nil)

func (r *Runner) docker() *container.Client {
	r.once.Do(func() {
		if r.Docker == nil {
			r.Docker = container.New(container.Options{Environ: r.Environ})
		}
	})
	return r.Docker
}

// DefaultStopGrace is the time nemo-evaluator gets between SIGTERM and SIGKILL: on SIGTERM it
// writes .nemo_evaluator_interrupted and runs its post-eval hooks.
const DefaultStopGrace = 10 * time.Second

// interruptedMarker is the file nemo-evaluator leaves in its output directory when SIGTERM
// ended it.
const interruptedMarker = ".nemo_evaluator_interrupted"

func (r *Runner) stopGrace() time.Duration { return cmp.Or(r.StopGrace, DefaultStopGrace) }

func (r *Runner) counters() []Counter {
	if r.Counters == nil {
		return DefaultCounters()
	}
	return r.Counters
}

// Kind is the runner kind of container tasks.
const Kind plan.RunnerKind = "container"

// Kind implements plan.Runner.
func (r *Runner) Kind() plan.RunnerKind { return Kind }

// PlanRun implements plan.Runner. A container run's identity holds its image pinned by
// digest, named by the catalog's repository: image_mirror moves where it is pulled from, not
// what it is. The benchmark block's image replaces both.
//
// Params the container cannot honour (CheckParams) are an error, which plan and validate
// report as a diagnostic.
func (r *Runner) PlanRun(ctx context.Context, req *plan.RunRequest) (*plan.RunPlan, error) {
	if err := CheckParams(req.Params); err != nil {
		return nil, err
	}
	// Requests go through the run's local endpoint (proxy.go), which replays what an
	// earlier attempt got answered; embedding tasks do not go through it yet.
	replays := !slices.Contains(req.Task.Capabilities, "embedding")
	note := groupNote(req.Task, req.Params)
	// The plan says which runtime a run uses, and why (DESIGN §2: docker unless the suite or
	// benchmark block says venv).
	rt, why := config.RunRuntimeWhy(cfgSuite(req.Config, req.Addr.Suite), req.Override)
	withNote := func(runtimeNote string) string {
		if note != "" {
			return runtimeNote + "; " + note
		}
		return runtimeNote
	}
	if rt == config.RuntimeVenv {
		rp, err := r.planVenv(ctx, req) // venv.go
		if err != nil {
			return nil, err
		}
		rp.Replays = replays
		// planVenv's note starts "runtime venv: "; the reason goes after the runtime.
		rp.Note = withNote("runtime venv (" + why + "): " + strings.TrimPrefix(rp.Note, "runtime venv: "))
		return rp, nil
	}
	if ov := req.Override; ov != nil && ov.Image != "" {
		return &plan.RunPlan{Image: ov.Image, Pull: ov.Image, Replays: replays,
			Note: withNote("runtime docker (" + why + pyxisNote(req) + "): image " + ov.Image + ", set by benchmark \"" + ov.Name + "\"")}, nil
	}
	t := req.Task
	if t.Image == "" {
		return &plan.RunPlan{Replays: replays, Note: note}, nil
	}
	image := pinned(t.Image, "", t.Digest)
	return &plan.RunPlan{Image: image, Pull: pullRef(req.Config, t), Replays: replays,
		Note: withNote("runtime docker (" + why + pyxisNote(req) + "): " + shortDigest(image))}, nil
}

// shortDigest shortens the digest of a pinned image reference to 12 hex digits for display.
func shortDigest(ref string) string {
	repo, digest, ok := strings.Cut(ref, "@sha256:")
	if !ok || len(digest) <= 12 {
		return ref
	}
	return repo + "@sha256:" + digest[:12]
}

// groupSubtasks is the number of subtasks of a catalog group task whose harness applies
// limit_samples to each subtask (measured on the real harness: lm-eval's mmlu_str), 0 for
// other tasks.
func groupSubtasks(name string) int {
	switch name {
	case "lm-evaluation-harness.mmlu":
		return 57
	}
	return 0
}

// groupNote says how many samples (and so requests, at least) limit_samples means for a
// group task: limit_samples per subtask, times its subtasks.
func groupNote(t *schema.Task, p config.Params) string {
	n := groupSubtasks(t.Name)
	if n == 0 || p.LimitSamples == nil {
		return ""
	}
	limit := int(*p.LimitSamples)
	return fmt.Sprintf("limit_samples applies to each of its %d subtasks: %d × %d = %d samples (requests)", n, limit, n, limit*n)
}

// pullRef is where a catalog task's image is pulled from: through image_mirror, at its tag
// and digest.
func pullRef(cfg *config.Config, t *schema.Task) string {
	repo := t.Image
	if cfg != nil && cfg.Settings.ImageMirror != "" {
		if rest, ok := strings.CutPrefix(repo, catalogRegistry); ok {
			repo = strings.TrimRight(cfg.Settings.ImageMirror, "/") + "/" + rest
		}
	}
	return pinned(repo, t.Tag, t.Digest)
}

// pinned is repo[:tag][@digest].
func pinned(repo, tag, digest string) string {
	if tag != "" {
		repo += ":" + tag
	}
	if digest != "" {
		repo += "@" + digest
	}
	return repo
}

// Image is the pinned image of a run: spec.Image as the plan resolved it; for specs built
// without the engine, what PlanRun would have planned.
func Image(cfg *config.Config, spec *plan.RunSpec) (container.Image, error) {
	if spec.Image != "" {
		return container.ParseImage(spec.Image)
	}
	req := &plan.RunRequest{Task: spec.Task, Config: cfg}
	if s := cfgSuite(cfg, spec.Suite); s != nil {
		req.Override = s.Overrides[spec.Benchmark]
		if req.Override == nil && spec.Task != nil {
			req.Override = s.Overrides[spec.Task.Name]
		}
	}
	if spec.Task == nil {
		return container.Image{}, fmt.Errorf("%s: the benchmark has no container image; set image = \"repo@sha256:...\" in its benchmark block", spec.Address)
	}
	rp, _ := (&Runner{}).PlanRun(context.Background(), req)
	if rp.Pull == "" {
		return container.Image{}, fmt.Errorf("%s: the benchmark has no container image; set image = \"repo@sha256:...\" in its benchmark block", spec.Address)
	}
	return container.ParseImage(rp.Pull)
}

func cfgSuite(cfg *config.Config, name string) *config.Suite {
	if cfg == nil {
		return nil
	}
	return cfg.Suites[name]
}

// Run implements plan.Runner. A run that cannot be done returns a failed outcome and a nil
// error; a cancelled one returns ctx's error, after the container has been removed.
func (r *Runner) Run(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (*plan.Outcome, error) {
	if progress == nil {
		progress = plan.NopProgress{}
	}
	if spec == nil || spec.RunDir == "" {
		return failed(errors.New("container runner: run spec without a run directory")), nil
	}
	runDir, err := filepath.Abs(spec.RunDir)
	if err != nil {
		return failed(err), nil
	}
	// Evaluator processes of a venv attempt whose apply was killed would still write into the
	// run directory: stop them before this attempt starts, whichever its runtime.
	if msg, err := cleanupLeftover(ctx, runDir, r.stopGrace()); err != nil {
		return failed(fmt.Errorf("%s: %w", spec.Address, err)), ctx.Err()
	} else if msg != "" {
		progress.Log(spec.Address, msg)
	}
	if r.runtime(spec) == config.RuntimeVenv {
		return r.runInVenv(ctx, spec, runDir, progress) // venv.go
	}
	if r.InJob && r.pyxis(spec) {
		return r.runInPyxis(ctx, spec, runDir, progress) // pyxis.go
	}
	img, err := Image(r.Config, spec)
	if err != nil {
		return failed(err), nil
	}
	// A container of this run left running by a killed apply would still write into the run
	// directory: stop and remove it before this attempt writes its configuration there.
	if ids, err := r.docker().RemoveFound(ctx, leftoverLabels(r.Config, spec)); err != nil {
		return failed(fmt.Errorf("look for a leftover container of %s: %w", spec.Address, err)), nil
	} else if len(ids) > 0 {
		progress.Log(spec.Address, fmt.Sprintf("stopped and removed %d leftover container(s) of an earlier, interrupted attempt", len(ids)))
	}
	a, out := r.begin(ctx, spec, runDir, progress, func(rc *RunConfig) { rc.Config.OutputDir = "/results" }, "with "+img.String())
	if out != nil {
		return out, nil
	}
	defer a.close()
	spec, opts, private, logs := a.spec, a.opts, a.private, a.logs
	say := func(msg string) { progress.Log(spec.Address, msg) }

	if _, err := r.docker().Ensure(ctx, img, say); err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return failed(fmt.Errorf("timed out%s while pulling %s", timeoutText(spec), img)), nil
		case ctx.Err() != nil:
			return failed(fmt.Errorf("interrupted while pulling %s", img)), ctx.Err()
		}
		return failed(fmt.Errorf("image %s: %w", img, err)), nil
	}
	started := time.Now()
	code, runErr := r.runContainer(ctx, spec, img, runDir, private, opts, logs, say)
	return r.end(ctx, a, runDir, started, code, runErr, nil)
}

// end is the outcome of an attempt whose evaluator exited with code (or runErr). Before
// anything reads the run directory, whatever the outcome: evalplan's run config back in
// place, the endpoint's secrets out of everything the evaluator wrote. exitOutcome speaks of
// a container; words, when not nil, rewrites its errors for what the runtime ran instead.
func (r *Runner) end(ctx context.Context, a *attempt, runDir string, started time.Time, code int64, runErr error, words *strings.Replacer) (*plan.Outcome, error) {
	if err := settle(runDir, a.own, a.spec.Endpoint, a.opts.scrub...); err != nil {
		return failed(fmt.Errorf("%v; the run directory %s may hold the endpoint's secrets", err, runDir)), nil
	}
	if out, err := exitOutcome(ctx, a.spec, r.stopGrace(), code, runErr, a.tail); out != nil {
		if words != nil {
			out.Error = words.Replace(out.Error)
		}
		return out, err
	}
	return finish(runDir, a.spec, started, r.counters(), a.tail), nil
}

// attempt is one attempt of a container run, set up alike in every runtime (begin).
type attempt struct {
	// spec is the run's spec with its local endpoint (proxy.go) in place of the real one.
	spec *plan.RunSpec
	opts *runOpts
	// private is the run configuration with the real URL when the run directory's copy
	// is redacted (prepare), "" when there is none; own is what was written there.
	private string
	own     []byte
	log     *os.File
	tail    *tailWriter
	// logs is log and tail, with the run's secrets redacted.
	logs  io.Writer
	close func()
}

// begin sets up an attempt of spec's run: every request through evalplan (the evaluator
// gets a local endpoint and token of its own, never the real URL or key: proxy.go), the
// run's options (options.go: env, env_from_host, hf_cache), its run configuration
// (prepareAt, adjusted for where the runtime sees the run directory) and container.log
// started afresh, so that it matches the run directory's other files, its first line saying
// which attempt it is: "evalplan: ADDRESS <with>, attempt started TIME". A nil attempt
// comes with the failed outcome; close releases what a non-nil one holds.
func (r *Runner) begin(ctx context.Context, spec *plan.RunSpec, runDir string, progress plan.Progress, adjust func(*RunConfig), with string) (*attempt, *plan.Outcome) {
	local, stopProxy, err := r.throughEvalplan(ctx, spec, runDir, progress)
	if err != nil {
		return nil, failed(err)
	}
	a := &attempt{spec: local}
	undo := []func(){stopProxy}
	a.close = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	if a.opts, err = r.runOptions(local, r.Environ); err != nil {
		a.close()
		return nil, failed(fmt.Errorf("%s: %w", spec.Address, err))
	}
	a.private, a.own, err = prepareAt(runDir, local, adjust)
	if a.private != "" {
		undo = append(undo, func() { os.Remove(a.private) })
	}
	if err != nil {
		a.close()
		return nil, failed(err)
	}
	if a.log, err = os.Create(filepath.Join(runDir, rundir.ContainerLogFile)); err != nil {
		a.close()
		return nil, failed(err)
	}
	undo = append(undo, func() { a.log.Close() })
	fmt.Fprintf(a.log, "evalplan: %s %s, attempt started %s\n", spec.Address, with, time.Now().UTC().Format(time.RFC3339))
	a.tail = &tailWriter{max: tailLines}
	a.logs = redact(io.MultiWriter(a.log, a.tail), local.Endpoint, a.opts.secrets...)
	return a, nil
}

// prepare writes run_config.yml (and returns what it wrote, evalplan's own copy) and removes
// the results an earlier attempt left. When
// the endpoint URL is secret (sensitive in the configuration, or carrying credentials or a
// query), the run directory — which is exported to MLflow — gets a copy with the URL
// redacted, and the real config goes to a private file (returned) mounted read-only into
// the container; the caller removes it after the run.
func prepare(runDir string, spec *plan.RunSpec) (private string, own []byte, err error) {
	return prepareAt(runDir, spec, func(rc *RunConfig) { rc.Config.OutputDir = "/results" })
}

// prepareAt is prepare with what differs between runtimes set by adjust: output_dir (where
// the evaluator sees the run directory) and, for a venv, the framework-qualified task type.
func prepareAt(runDir string, spec *plan.RunSpec, adjust func(*RunConfig)) (private string, own []byte, err error) {
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return "", nil, fmt.Errorf("create run directory: %w", err)
	}
	rc, err := BuildRunConfig(spec)
	if err != nil {
		return "", nil, err
	}
	adjust(rc)
	b, err := rc.Marshal()
	if err != nil {
		return "", nil, err
	}
	if privateConfig(spec) {
		f, err := os.CreateTemp("", "evalplan-run-config-*.yml")
		if err != nil {
			return "", nil, fmt.Errorf("write run config: %w", err)
		}
		private = f.Name()
		_, werr := f.Write(b)
		if err := errors.Join(werr, f.Close()); err != nil {
			return private, nil, fmt.Errorf("write run config: %w", err)
		}
		redactRunConfig(rc, spec) // options.go
		if b, err = rc.Marshal(); err != nil {
			return private, nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(runDir, rundir.ContainerConfigFile), b, 0o644); err != nil {
		return private, nil, fmt.Errorf("write run config: %w", err)
	}
	for _, f := range []string{rundir.ContainerResultsFile, rundir.ResultsFile, ResolvedConfigFile, interruptedMarker, MetricsFile} {
		if err := os.Remove(filepath.Join(runDir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return private, nil, fmt.Errorf("remove stale %s: %w", f, err)
		}
	}
	return private, b, nil
}

// secretURL reports whether an endpoint URL must not be written where results go.
func secretURL(ep *config.Endpoint) bool {
	if ep == nil {
		return false
	}
	if ep.URLSensitive {
		return true
	}
	u, err := url.Parse(ep.URL)
	return err != nil || u.User != nil || u.RawQuery != ""
}

// runContainer runs the evaluator under the run's timeout, with nemo-evaluator and, when the
// image lacks it, eval-factory.
func (r *Runner) runContainer(ctx context.Context, spec *plan.RunSpec, img container.Image, runDir, private string, opts *runOpts, logs io.Writer, say func(string)) (int64, error) {
	ctx, cancel := withRunTimeout(ctx, spec)
	defer cancel()
	rs := container.RunSpec{
		Image:       img,
		Entrypoint:  []string{"nemo-evaluator"},
		Cmd:         []string{"run_eval", "--run_config", "/results/" + rundir.ContainerConfigFile},
		Binds:       []string{runDir + ":/results"},
		HostNetwork: loopback(spec.Endpoint),
		Labels:      runLabels(r.Config, spec),
		Logs:        logs,
		Status:      func(s container.Status) { say("container " + s.String()) },
		StatusEvery: r.StatusEvery,
		StopGrace:   r.stopGrace(),
	}
	port, release, err := reserveAdapterPort()
	if err != nil {
		return -1, err
	}
	defer release()
	rs.Env = append(rs.Env, fmt.Sprintf("%s=%d", AdapterPortVar, port))
	if private != "" {
		const path = "/evalplan/" + rundir.ContainerConfigFile
		rs.Binds = append(rs.Binds, private+":"+path+":ro")
		rs.Cmd = []string{"run_eval", "--run_config", path}
	}
	rs.Env, rs.Binds = append(rs.Env, opts.env...), append(rs.Binds, opts.binds...)
	code, err := r.docker().Run(ctx, rs)
	if errors.Is(err, container.ErrExecutableNotFound) {
		fmt.Fprintln(logs, "evalplan: nemo-evaluator is not in the image; running eval-factory")
		rs.Entrypoint = []string{"eval-factory"}
		code, err = r.docker().Run(ctx, rs)
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return code, errTimeout
	}
	return code, err
}

var errTimeout = errors.New("run timeout")

// withRunTimeout bounds ctx by the run's own timeout (params timeout), when it has one.
func withRunTimeout(ctx context.Context, spec *plan.RunSpec) (context.Context, context.CancelFunc) {
	if t := spec.Params.Timeout; t != nil && *t > 0 {
		return context.WithTimeout(ctx, time.Duration(*t*float64(time.Second)))
	}
	return ctx, func() {}
}

// Labels of a run's container: its address and identity, and the configuration directory
// that identifies the project, so that leftovers are found without touching another
// project's containers on the same daemon.
const (
	LabelAddress  = "dev.evalplan.address"
	LabelIdentity = "dev.evalplan.identity"
	LabelProject  = "dev.evalplan.project"
)

// runLabels are the labels of a run's container.
func runLabels(cfg *config.Config, spec *plan.RunSpec) map[string]string {
	l := leftoverLabels(cfg, spec)
	l[LabelIdentity] = spec.Identity
	return l
}

// leftoverLabels select the containers an earlier attempt of the same run left behind:
// the same address in the same project, whatever their identity (a killed apply may have
// run an older configuration).
func leftoverLabels(cfg *config.Config, spec *plan.RunSpec) map[string]string {
	l := map[string]string{LabelAddress: spec.Address}
	if cfg != nil && cfg.Dir != "" {
		if dir, err := filepath.Abs(cfg.Dir); err == nil {
			l[LabelProject] = dir
		}
	}
	return l
}

// exitOutcome is the failed outcome of a container that did not exit 0, nil when it did.
// A deadline that passed, the run's own timeout or the caller's (the engine applies the
// same timeout), is a timed-out run with a nil error; a cancellation returns ctx's error.
func exitOutcome(ctx context.Context, spec *plan.RunSpec, grace time.Duration, code int64, err error, tail *tailWriter) (*plan.Outcome, error) {
	switch {
	case err == nil && code == 0:
		return nil, nil
	case errors.Is(err, errTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return failedf(tail, "timed out%s; the container was sent SIGTERM, then killed if still running after %s, and removed", timeoutText(spec), grace), nil
	case ctx.Err() != nil:
		return failedf(tail, "interrupted; the container was sent SIGTERM, then killed if still running after %s, and removed", grace), ctx.Err()
	case errors.Is(err, container.ErrExecutableNotFound):
		return failedf(tail, "the image has neither nemo-evaluator nor eval-factory on its PATH: is it a NeMo Evaluator image? (%v)", err), nil
	case err != nil:
		return failedf(tail, "%v", err), nil
	}
	return failedf(tail, "the container exited with code %d", code), nil
}

// timeoutText says which timeout ended a run: " after 5s (params timeout = 5)", or the
// caller's deadline when the run has no timeout of its own.
func timeoutText(spec *plan.RunSpec) string {
	if t := spec.Params.Timeout; t != nil && *t > 0 {
		return fmt.Sprintf(" after %s (params timeout = %g)", time.Duration(*t*float64(time.Second)), *t)
	}
	return " (the caller's deadline passed)"
}

// finish parses results.yml, counts the samples and writes results.json.
func finish(runDir string, spec *plan.RunSpec, started time.Time, counters []Counter, tail *tailWriter) *plan.Outcome {
	b, err := os.ReadFile(filepath.Join(runDir, rundir.ContainerResultsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return failedf(tail, "the container exited 0 but wrote no %s", rundir.ContainerResultsFile)
	}
	if err != nil {
		return failed(err)
	}
	res, err := ParseResults(b, TaskNames(spec.Task)...)
	if err != nil {
		return failedf(tail, "%v", err)
	}
	if err := count(res, runDir, started, counters); err != nil {
		return failed(err)
	}
	// samples.go: the harness's per-sample files as the run's journal, samples.jsonl.
	if err := writeJournal(runDir, started); err != nil {
		return failed(err)
	}
	if err := rundir.WriteResults(runDir, res); err != nil {
		return failed(err)
	}
	return &plan.Outcome{Status: state.StatusComplete, Result: res}
}

// count sets res.N from the first counter that knows it, else from results.yml's own
// stats.count; when neither does, N stays 0 and res.NUnknown is set, so that the result is
// reported as "n unknown", never as n=0. The headline's metrics without a count of their own
// get N too.
func count(res *result.Result, runDir string, started time.Time, counters []Counter) error {
	for _, c := range counters {
		n, ok, err := c.Count(runDir, started)
		if err != nil {
			return err
		}
		if ok && n > 0 {
			res.N = n
			break
		}
	}
	if res.N == 0 {
		res.NUnknown = true
		return nil
	}
	for name, m := range res.Metrics {
		if m.N == 0 {
			m.N = res.N
			res.Metrics[name] = m
		}
	}
	return nil
}

func failed(err error) *plan.Outcome {
	return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}
}

// failedf is a failed outcome whose message ends with the container's last log lines.
func failedf(tail *tailWriter, format string, args ...any) *plan.Outcome {
	msg := fmt.Sprintf(format, args...)
	if lines := tail.String(); lines != "" {
		msg += "\nlast lines of the container's log:\n" + lines
	}
	return &plan.Outcome{Status: state.StatusFailed, Error: msg}
}

// tailWriter keeps the last max lines written to it.
type tailWriter struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial string
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.partial + string(p)
	parts := strings.Split(s, "\n")
	t.partial = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		t.lines = append(t.lines, "  "+strings.TrimRight(l, "\r"))
	}
	if over := len(t.lines) - t.max; over > 0 {
		t.lines = append(t.lines[:0], t.lines[over:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if t.partial != "" {
		lines = append(append([]string(nil), lines...), "  "+t.partial)
		if len(lines) > t.max {
			lines = lines[len(lines)-t.max:]
		}
	}
	return strings.Join(lines, "\n")
}

// redact wraps w so that the endpoint's secrets — the API key, the URL's credentials, and
// the whole URL when it is sensitive — never reach container.log (which is exported) or an
// error message, whatever the evaluator prints. A secret split across two writes of the
// container's output stream is not caught; Docker delivers output in frames, usually lines.
func redact(w io.Writer, ep *config.Endpoint, secrets ...string) io.Writer {
	var pairs []string
	add := func(secret string) {
		if len(secret) >= 4 {
			pairs = append(pairs, secret, "[redacted]")
		}
	}
	if ep != nil {
		if ep.URLSensitive {
			add(strings.TrimRight(ep.URL, "/"))
		}
		if u, err := url.Parse(ep.URL); err == nil && u.User != nil {
			add(u.User.String())
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
		add(ep.APIKey)
	}
	for _, s := range secrets {
		add(s)
	}
	if len(pairs) == 0 {
		return w
	}
	return &redactor{w: w, r: strings.NewReplacer(pairs...)}
}

type redactor struct {
	w io.Writer
	r *strings.Replacer
}

func (r *redactor) Write(p []byte) (int, error) {
	if _, err := r.r.WriteString(r.w, string(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
