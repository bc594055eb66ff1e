package container_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// fakePython stands in for a Python 3.11 toolchain, offline: it reports its version, makes
// a venv (a copy of itself as bin/python) and "installs" each package as a dist-info whose
// RECORD holds $LOCK_SALT, so that the resolved lock changes with LOCK_SALT, plus
// fakeEvaluator as bin/nemo-evaluator.
const fakePython = `#!/bin/sh
case "$1" in
-c) echo 3.11 ;;
-m)
  case "$2" in
  venv) mkdir -p "$3/bin" "$3/lib/python3.11/site-packages"; cp "$0" "$3/bin/python" ;;
  pip)
    d=$(dirname "$(dirname "$0")")
    shift 3
    for p in "$@"; do
      case "$p" in -*) continue ;; esac
      n=$(echo "${p%%==*}" | tr - _)
      i="$d/lib/python3.11/site-packages/$n-${p#*==}.dist-info"
      mkdir -p "$i"
      echo "$n/__init__.py,sha256=$LOCK_SALT,1" > "$i/RECORD"
    done
    cp "$FAKE_EVALUATOR" "$d/bin/nemo-evaluator" ;;
  esac ;;
esac
`

const venvHCL = `
endpoint "a" {
  url     = "URL"
  model   = "model-a"
  api_key = "test-key"
}

suite "s" {
  endpoints  = [endpoint.a]
  benchmarks = ["simple_evals.mmlu"]
  runtime    = "venv"
  env = {
    FIXTURE = "RESULTS_FILE"
  }
  params {
    limit_samples = 2
  }
}
`

// venvProject is a project with one venv run and a fake Python toolchain (fakePython).
type venvProject struct {
	t         *testing.T
	dir, salt string
	bin       string
	statePath string
	store     *state.Store
}

func newVenvProject(t *testing.T) *venvProject {
	t.Helper()
	_, url := simulator(t, 1, "model-a")
	fixture, _ := filepath.Abs("testdata/simple_evals.mmlu.results.yml")
	p := &venvProject{t: t, dir: t.TempDir(), bin: t.TempDir(), salt: "a"}
	hcl := strings.NewReplacer("URL", url, "RESULTS_FILE", fixture).Replace(venvHCL)
	for name, body := range map[string]string{
		filepath.Join(p.dir, "eval.hcl"):       hcl,
		filepath.Join(p.bin, "python3.11"):     fakePython,
		filepath.Join(p.bin, "fake-evaluator"): fakeEvaluator,
	} {
		if err := os.WriteFile(name, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p.statePath = filepath.Join(p.dir, "evalplan.state.json")
	p.store = state.NewStore(p.statePath, state.New("test"))
	return p
}

// environ is the environment of the runner and its installers: the fake Python first on
// PATH, no uv.
func (p *venvProject) environ() []string {
	return []string{"PATH=" + p.bin + ":/usr/bin:/bin", "HOME=" + p.t.TempDir(), "LOCK_SALT=" + p.salt, "FAKE_EVALUATOR=" + filepath.Join(p.bin, "fake-evaluator")}
}

func (p *venvProject) load() (*config.Config, *plan.Engine) {
	p.t.Helper()
	cat, err := schema.LoadCatalog()
	if err != nil {
		p.t.Fatal(err)
	}
	cfg, diags := config.Load(p.dir, config.LoadOptions{Catalog: cat})
	if diags.HasErrors() {
		p.t.Fatal(diags)
	}
	return cfg, &plan.Engine{
		Catalog: cat, Endpoints: &endpoint.Provider{}, Datasets: &dataset.Provider{Dir: cfg.Dir},
		Runners: map[string]plan.Runner{plan.AnyHarness: &container.Runner{Config: cfg, Environ: p.environ()}},
		Version: "test",
	}
}

// plan plans the project against the store's state and returns the plan and its text.
func (p *venvProject) plan() (*plan.Plan, string) {
	p.t.Helper()
	cfg, e := p.load()
	pl, diags := e.Plan(context.Background(), cfg, p.store.Snapshot(), plan.Options{Refresh: true})
	if diags.HasErrors() {
		p.t.Fatal(diags)
	}
	var b bytes.Buffer
	plan.Render(&b, pl, false)
	return pl, b.String()
}

// apply plans and applies, and returns the progress lines.
func (p *venvProject) apply() string {
	p.t.Helper()
	cfg, e := p.load()
	pl, diags := e.Plan(context.Background(), cfg, p.store.Snapshot(), plan.Options{Refresh: true})
	if diags.HasErrors() {
		p.t.Fatal(diags)
	}
	l := &logs{}
	res, diags := e.Apply(context.Background(), cfg, pl, p.store, plan.ApplyOptions{Progress: l})
	if diags.HasErrors() {
		p.t.Fatal(diags)
	}
	if len(res.Errors) > 0 {
		p.t.Fatalf("apply: %v", res.Errors)
	}
	return l.text()
}

// prepare prepares the run's environment as `evalplan runtimes prepare` does.
func (p *venvProject) prepare() *runtime.Env {
	p.t.Helper()
	cfg, _ := p.load()
	m := &runtime.Manager{Dir: container.RuntimesDir(cfg.Settings.CacheDir), Environ: p.environ()}
	cat, err := schema.LoadCatalog()
	if err != nil {
		p.t.Fatal(err)
	}
	pkgs, err := runtime.HarnessPackages(cat, "simple_evals")
	if err != nil {
		p.t.Fatal(err)
	}
	env, err := m.Prepare(context.Background(), pkgs, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return env
}

func (p *venvProject) clear() {
	p.t.Helper()
	cfg, _ := p.load()
	if err := (&runtime.Manager{Dir: container.RuntimesDir(cfg.Settings.CacheDir)}).Clear(); err != nil {
		p.t.Fatal(err)
	}
}

const runAddr = `suite.s.run["simple_evals.mmlu"]["a"]`

func (p *venvProject) recorded() *state.Resource {
	p.t.Helper()
	res := p.store.Snapshot().Resources[runAddr]
	if res == nil {
		p.t.Fatal("no run recorded")
	}
	return res
}

func runtimeInput(res *state.Resource) any {
	b, _ := res.Inputs["benchmark"].(map[string]any)
	return b["runtime"]
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// A venv run's identity holds the resolved lock of its prepared environment: known at plan
// time when the environment is prepared, else after apply prepares it. The same resolution
// never re-runs; a different one re-runs, and the plan or apply shows old → new.
func TestVenvIdentityFollowsTheLock(t *testing.T) {
	p := newVenvProject(t)

	// Not prepared: the plan says the identity is known after prepare.
	pl, text := p.plan()
	if pl.Actions[0].Action != plan.ActionRun || pl.Actions[0].Identity != "" {
		t.Fatalf("first plan: %+v", pl.Actions[0])
	}
	contains(t, "the first plan", text, "identity: known after prepare", "not prepared yet")

	// Apply prepares, then runs; the identity holds the lock.
	p.apply()
	envA := p.prepare() // already prepared: found
	first := p.recorded()
	if first.Status != state.StatusComplete || runtimeInput(first) != envA.Identity() {
		t.Fatalf("recorded run: status %s, runtime %v, want %s", first.Status, runtimeInput(first), envA.Identity())
	}
	if !strings.HasPrefix(envA.Identity(), "venv:sha256:") {
		t.Fatalf("identity %s", envA.Identity())
	}

	// Prepared: the plan knows the identity, and it is the recorded one.
	pl, text = p.plan()
	if pl.Summary.Changes() || pl.Actions[0].Identity != first.Identity {
		t.Fatalf("plan after apply: %s", text)
	}

	// Re-prepared with the same resolution: still no changes.
	p.clear()
	if env := p.prepare(); env.Lock != envA.Lock {
		t.Fatalf("re-prepared lock %s, want %s", env.Lock, envA.Lock)
	}
	if pl, text = p.plan(); pl.Summary.Changes() {
		t.Errorf("plan after re-preparing the same environment:\n%s", text)
	}
	contains(t, "the plan", text, "No changes.")

	// Not prepared, the same resolution at apply: up to date, not run again.
	p.clear()
	pl, text = p.plan()
	a := pl.Actions[0]
	if a.Action != plan.ActionRerun || a.Reason != plan.ReasonKnownAfterPrepare {
		t.Fatalf("plan without the environment: %s", text)
	}
	if diff := cmp.Diff([]plan.Change{{Path: "benchmark.runtime", Old: envA.Identity(), New: plan.KnownAfterPrepare}}, a.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	contains(t, "the plan without the environment", text, "benchmark.runtime: \""+envA.Identity()+"\" → \"(known after prepare)\"", "identity: known after prepare")
	lines := p.apply()
	contains(t, "apply's progress", lines, "up to date: the prepared environment gives the recorded identity")
	if got := p.recorded(); got.Identity != first.Identity || !got.StartedAt.Equal(*first.StartedAt) || len(got.History) != 0 {
		t.Errorf("the run was performed again: %+v", got)
	}

	// Not prepared, another resolution at apply: re-run, showing old → new.
	p.clear()
	p.salt = "b"
	lines = p.apply()
	second := p.recorded()
	if second.Identity == first.Identity || len(second.History) != 1 || second.History[0].Identity != first.Identity {
		t.Fatalf("after another resolution: identity %s (was %s), history %+v", second.Identity, first.Identity, second.History)
	}
	contains(t, "apply's progress", lines, "identity changed: benchmark.runtime: "+envA.Identity()+" → "+runtimeInput(second).(string))

	// Prepared with another resolution before plan: the plan shows old → new.
	p.clear()
	p.salt = "c"
	envC := p.prepare()
	pl, text = p.plan()
	if a := pl.Actions[0]; a.Action != plan.ActionRerun || a.Identity == "" {
		t.Fatalf("plan after another resolution: %s", text)
	}
	contains(t, "the plan", text, "benchmark.runtime: \""+runtimeInput(second).(string)+"\" → \""+envC.Identity()+"\"")
}
