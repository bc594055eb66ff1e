package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/providers/container"
)

// The Pyxis runtime: on a node of a Slurm executor whose containers = "pyxis", a container
// run's evaluator is a job step of the run's job, started by `srun --container-image` (the
// Pyxis plugin has enroot import and start the image). The step sees the run directory at
// /results and the run configuration there, as a docker run does, and shares the node's
// network: the run's local endpoint (proxy.go) on 127.0.0.1 answers it. evalplan itself
// stays outside the container, so the image needs nothing but its own harness.

// PyxisImage is how srun --container-image names img: enroot's REGISTRY#IMAGE form, which
// every enroot release reads (a registry host before the first "/" is taken for a Docker
// Hub namespace by older ones), with the tag and the digest. Docker Hub images keep their
// plain name.
func PyxisImage(img container.Image) string {
	ref := img.Repo
	if first, rest, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		ref = first + "#" + rest
	}
	if img.Tag != "" {
		ref += ":" + img.Tag
	}
	if img.Digest != "" {
		ref += "@" + img.Digest
	}
	return ref
}

// pyxis reports whether spec's run is on an executor whose containers = "pyxis".
func (r *Runner) pyxis(spec *plan.RunSpec) bool {
	if r.Config == nil {
		return false
	}
	x := r.Config.Executors[r.Config.RunExecutor(spec.Suite, spec.Benchmark, taskName(spec.Task))]
	return x != nil && x.Containers == config.ContainersPyxis
}

// pyxisNote is what a run's plan note adds when its executor runs containers through
// Pyxis: the nodes import the image, nothing is pulled on this machine.
func pyxisNote(req *plan.RunRequest) string {
	if req.Config == nil {
		return ""
	}
	name := req.Config.RunExecutor(req.Addr.Suite, req.Addr.Benchmark, taskName(req.Task))
	if x := req.Config.Executors[name]; x != nil && x.Containers == config.ContainersPyxis {
		return "; through Pyxis on the nodes of executor." + name
	}
	return ""
}

// srunPath is the srun a Pyxis run starts its step with: SRUN in Environ (tests, unusual
// installs), else srun on PATH.
func (r *Runner) srunPath() string {
	if p := envMap(r.Environ)["SRUN"]; p != "" {
		return p
	}
	return "srun"
}

// pyxisArgs are srun's arguments for a run's evaluator step: one task that may share the
// job's resources with the steps of its other runs (--overlap), the image (a reference or a
// squashfs file), the mounts (the
// run directory at /results, the private run configuration, hf_cache) and the variables
// the container must take from the step's environment rather than from the image's.
func pyxisArgs(image, runDir, private string, opts *runOpts, env []string) []string {
	mounts := []string{runDir + ":/results"}
	config := "/results/" + rundir.ContainerConfigFile
	if private != "" {
		config = "/evalplan/" + rundir.ContainerConfigFile
		mounts = append(mounts, private+":"+config+":ro")
	}
	mounts = append(mounts, opts.binds...)
	names := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	slices.Sort(names)
	args := []string{"--overlap", "--ntasks=1", "--nodes=1", "--kill-on-bad-exit=1",
		"--job-name=evalplan-evaluator",
		"--container-image=" + image,
		"--container-mounts=" + strings.Join(mounts, ","),
		"--container-workdir=/results",
		// Writable as a Docker container is: harnesses write into the image (dataset
		// caches and their lock files under /opt), which Pyxis otherwise mounts read-only.
		"--container-writable",
		"--no-container-mount-home",
	}
	if len(names) > 0 {
		args = append(args, "--container-env="+strings.Join(slices.Compact(names), ","))
	}
	return append(args, "nemo-evaluator", "run_eval", "--run_config", config)
}

// runInPyxis is Run for a container run on a node whose executor's containers = "pyxis".
func (r *Runner) runInPyxis(ctx context.Context, spec *plan.RunSpec, runDir string, progress plan.Progress) (*plan.Outcome, error) {
	img, err := Image(r.Config, spec)
	if err != nil {
		return failed(err), nil
	}
	if envMap(r.Environ)["SLURM_JOB_ID"] == "" {
		return failed(fmt.Errorf("%s: containers = \"pyxis\" runs the evaluator as a step of the run's Slurm job, and this process is not in one", spec.Address)), nil
	}
	a, out := r.begin(ctx, spec, runDir, progress, func(rc *RunConfig) { rc.Config.OutputDir = "/results" },
		fmt.Sprintf("with %s through Pyxis (srun --container-image=%s)", img, PyxisImage(img)))
	if out != nil {
		return out, nil
	}
	defer a.close()
	spec, opts, private, logs, logf := a.spec, a.opts, a.private, a.logs, a.log
	image := r.pyxisImage(ctx, spec, img, func(msg string) { progress.Log(spec.Address, msg); fmt.Fprintln(logf, "evalplan: "+msg) })
	progress.Log(spec.Address, "starting the evaluator in "+image+" (srun --container-image)")
	started := time.Now()
	code, runErr := r.runStep(ctx, spec, image, runDir, private, opts, logs)
	return r.end(ctx, a, runDir, started, code, runErr, strings.NewReplacer("the container was sent", "the job step (srun) was sent",
		", and removed", "", "the container exited", "the evaluator's job step exited",
		"the container's log", "its log (container.log)"))
}

// runStep runs srun for the evaluator's step under the run's timeout, in the run's own
// process group (recorded like a venv run's, cleanupLeftover); srun passes SIGTERM on to
// the step.
func (r *Runner) runStep(ctx context.Context, spec *plan.RunSpec, image, runDir, private string, opts *runOpts, logs io.Writer) (int64, error) {
	ctx, cancel := withRunTimeout(ctx, spec)
	defer cancel()
	port, release, err := reserveAdapterPort()
	if err != nil {
		return -1, err
	}
	defer release()
	env := append([]string{fmt.Sprintf("%s=%d", AdapterPortVar, port)}, opts.env...)
	srun, err := exec.LookPath(r.srunPath())
	if err != nil {
		return -1, fmt.Errorf("srun: %w (containers = \"pyxis\" needs Slurm's srun with the Pyxis plugin on the node)", err)
	}
	// srun needs the job's SLURM_* variables to start a step in its allocation: the step
	// gets evalplan's environment, and the run's variables over it.
	environ := r.Environ
	if environ == nil {
		environ = os.Environ()
	}
	environ = append(slices.Clone(environ), env...)
	code, err := runGroup(ctx, srun, pyxisArgs(image, runDir, private, opts, env), runDir, environ, logs, r.stopGrace(), runDir)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return code, errTimeout
	}
	return code, err
}

// pyxisImage is what the run's step names as its image: the squashfs file of img in the
// executor's shared directory (SHARED_DIR/images/DIGEST.sqsh), imported once with enroot by
// the first job that needs it while the others wait for it, so that no job imports the
// image again; or, for an image without a digest, when enroot is not on the node or the
// import fails (said through say), the reference itself, which Pyxis imports for the step.
func (r *Runner) pyxisImage(ctx context.Context, spec *plan.RunSpec, img container.Image, say func(string)) string {
	ref := PyxisImage(img)
	x := r.Config.Executors[r.Config.RunExecutor(spec.Suite, spec.Benchmark, taskName(spec.Task))]
	hex, ok := strings.CutPrefix(img.Digest, "sha256:")
	if x == nil || x.SharedDir == "" || !ok {
		return ref
	}
	path := filepath.Join(x.SharedDir, "images", hex+".sqsh")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	enroot, err := exec.LookPath(r.enrootPath())
	if err != nil {
		say(fmt.Sprintf("enroot is not on this node's PATH (%v): Pyxis imports %s for this step", err, ref))
		return ref
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		say(fmt.Sprintf("cannot keep images in %s (%v): Pyxis imports %s for this step", filepath.Dir(path), err, ref))
		return ref
	}
	// One import per image for the whole cluster: the others wait on the lock, then find it.
	lock := flock.New(path + ".lock")
	if _, err := lock.TryLockContext(ctx, time.Second); err != nil {
		say(fmt.Sprintf("cannot lock %s (%v): Pyxis imports %s for this step", path+".lock", err, ref))
		return ref
	}
	defer lock.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	say(fmt.Sprintf("importing %s into %s with enroot (once, for every job of the image)", ref, path))
	started := time.Now()
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	defer os.Remove(tmp)
	cmd := exec.CommandContext(ctx, enroot, "import", "--output", tmp, "docker://"+ref)
	cmd.Env = r.Environ
	if out, err := cmd.CombinedOutput(); err != nil {
		say(fmt.Sprintf("enroot import failed (%v): %s; Pyxis imports %s for this step", err, lastLine(string(out)), ref))
		return ref
	}
	if err := os.Rename(tmp, path); err != nil {
		say(fmt.Sprintf("keep the imported image: %v; Pyxis imports %s for this step", err, ref))
		return ref
	}
	say(fmt.Sprintf("imported %s in %s", ref, time.Since(started).Round(time.Second)))
	return path
}

// enrootPath is the enroot the runner imports images with: ENROOT in Environ, else enroot
// on PATH.
func (r *Runner) enrootPath() string {
	if p := envMap(r.Environ)["ENROOT"]; p != "" {
		return p
	}
	return "enroot"
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
