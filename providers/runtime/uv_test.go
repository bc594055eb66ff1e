package runtime_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/providers/runtime"
	"github.com/evalplan/evalplan/schema"
	"github.com/google/go-cmp/cmp"
)

// offline is what the uv test needs: uv (EVALPLAN_TEST_UV) and a wheelhouse of the
// simple_evals package set (EVALPLAN_TEST_WHEELHOUSE), both made by .ci/services.d/76-uv.sh.
// Missing, the test fails under CI=true and skips otherwise.
func offline(tb testing.TB) (uv, wheelhouse string) {
	tb.Helper()
	uv, wheelhouse = os.Getenv("EVALPLAN_TEST_UV"), os.Getenv("EVALPLAN_TEST_WHEELHOUSE")
	if uv == "" || wheelhouse == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("EVALPLAN_TEST_UV and EVALPLAN_TEST_WHEELHOUSE are not set: run .ci/services.sh (76-uv.sh)")
		}
		tb.Skip("EVALPLAN_TEST_UV or EVALPLAN_TEST_WHEELHOUSE not set (.ci/services.d/76-uv.sh makes them)")
	}
	return uv, wheelhouse
}

// installer is the environment of a Manager that installs from the wheelhouse only, with
// uv (its folder first on PATH) or without (no uv on PATH: python -m venv and pip), and
// fresh installer caches.
func installer(tb testing.TB, uv, wheelhouse string, withUV bool) []string {
	tb.Helper()
	var path []string
	if withUV {
		path = append(path, filepath.Dir(uv))
	}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "uv")); err != nil { // no other uv
			path = append(path, d)
		}
	}
	py, err := exec.LookPath("python3.11")
	if err != nil {
		py, err = exec.LookPath("python3")
	}
	if err != nil {
		tb.Fatal("no python3 on PATH")
	}
	out, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		tb.Fatal(err)
	}
	caches := tb.TempDir()
	return []string{
		"PATH=" + strings.Join(path, string(os.PathListSeparator)), "HOME=" + tb.TempDir(),
		runtime.PythonVar + "=" + strings.TrimSpace(string(out)),
		"PIP_NO_INDEX=1", "PIP_FIND_LINKS=" + wheelhouse, "PIP_CACHE_DIR=" + filepath.Join(caches, "pip"), "PIP_DISABLE_PIP_VERSION_CHECK=1",
		"UV_NO_INDEX=1", "UV_FIND_LINKS=" + wheelhouse, "UV_CACHE_DIR=" + filepath.Join(caches, "uv"), "UV_OFFLINE=1", "UV_PYTHON_DOWNLOADS=never",
	}
}

// simpleEvals is the simple_evals package set, checked against the pins the wheelhouse was
// built from.
func simpleEvals(tb testing.TB) []string {
	tb.Helper()
	cat, err := schema.LoadCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	pkgs, err := runtime.HarnessPackages(cat, "simple_evals")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", ".ci", "nemo-real", "requirements-simple-evals.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	var pins []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			pins = append(pins, l)
		}
	}
	slices.Sort(pins)
	if diff := cmp.Diff(pkgs, pins); diff != "" {
		tb.Fatalf(".ci/nemo-real/requirements-simple-evals.txt is not the simple_evals package set (-Packages +file): update the file, and 76-uv.sh rebuilds the wheelhouse:\n%s", diff)
	}
	return pkgs
}

var lockLine = regexp.MustCompile(`^([a-z0-9-]+)==(\S+) sha256:[0-9a-f]{64}$`)

// checkEnv checks a prepared environment: it opens, its Python imports the harness, and its
// lock lists every installed distribution (but an installer's unrequired seeds) with a
// digest. It returns the lock's lines without digests, "name==version".
func checkEnv(t *testing.T, env *runtime.Env) []string {
	t.Helper()
	opened, err := runtime.Open(env.Dir)
	if err != nil || opened.Lock != env.Lock {
		t.Fatalf("Open(%s) = %+v, %v", env.Dir, opened, err)
	}
	if out, err := exec.Command(env.Bin("python"), "-c", "import nemo_evaluator, simple_evals; print('ok')").Output(); err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Errorf("the environment's Python: %v\n%s", err, out)
	}
	if out, err := exec.Command(env.Bin("nemo-evaluator"), "--help").CombinedOutput(); err != nil {
		t.Errorf("nemo-evaluator --help: %v\n%s", err, out)
	}
	lock, err := os.ReadFile(filepath.Join(env.Dir, runtime.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	var pins []string
	for _, l := range strings.Split(strings.TrimSpace(string(lock)), "\n") {
		m := lockLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("lock line %q is not name==version sha256:<digest>", l)
			continue
		}
		pins = append(pins, m[1]+"=="+m[2])
	}
	infos, err := filepath.Glob(filepath.Join(env.Dir, "lib", "python3*", "site-packages", "*.dist-info"))
	if err != nil {
		t.Fatal(err)
	}
	var installed []string
	for _, d := range infos {
		n, v, _ := strings.Cut(strings.TrimSuffix(filepath.Base(d), ".dist-info"), "-")
		n = strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(n))
		if !slices.Contains(pins, n+"=="+v) && n != "pip" && n != "setuptools" && n != "wheel" {
			t.Errorf("installed %s==%s is not in the lock", n, v)
		}
		installed = append(installed, n+"=="+v)
	}
	for _, p := range pins {
		if !slices.Contains(installed, p) {
			t.Errorf("the lock's %s is not installed", p)
		}
	}
	return pins
}

// The simple_evals package set prepared with pip and with uv, offline from the wheelhouse:
// both environments open, run and have a lock listing every installed distribution with a
// digest, and the two locks name the same distributions at the same versions, with the
// same files: one lock.
func TestPrepareWithUVAndPip(t *testing.T) {
	uv, wheelhouse := offline(t)
	pkgs := simpleEvals(t)
	ctx := context.Background()
	prepare := func(withUV bool) (*runtime.Env, []string) {
		var said []string
		m := &runtime.Manager{Dir: t.TempDir(), Environ: installer(t, uv, wheelhouse, withUV)}
		start := time.Now()
		env, err := m.Prepare(ctx, pkgs, func(s string) { said = append(said, s) })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("uv=%v: prepared in %s", withUV, time.Since(start).Round(time.Millisecond))
		return env, said
	}
	uvEnv, said := prepare(true)
	if !strings.Contains(strings.Join(said, "\n"), "with uv") {
		t.Errorf("the uv environment was not made with uv: %q", said)
	}
	pipEnv, said := prepare(false)
	if !strings.Contains(strings.Join(said, "\n"), "-m venv and pip") {
		t.Errorf("the pip environment was not made with pip: %q", said)
	}
	uvPins, pipPins := checkEnv(t, uvEnv), checkEnv(t, pipEnv)
	if diff := cmp.Diff(pipPins, uvPins); diff != "" {
		t.Errorf("pip and uv resolve differently (-pip +uv):\n%s", diff)
	}
	for _, p := range pkgs {
		if !slices.Contains(uvPins, p) {
			t.Errorf("the lock lacks the requested %s", p)
		}
	}
	// Beyond the names and versions, the same files: the same lock, so the same run identity.
	if uvEnv.Lock != pipEnv.Lock {
		t.Errorf("lock with uv %s, with pip %s: the environments differ in some file", uvEnv.Lock, pipEnv.Lock)
	}
	t.Logf("%d distributions; lock with uv %s, with pip %s", len(uvPins), uvEnv.Lock[:12], pipEnv.Lock[:12])
}

// BenchmarkPrepareSimpleEvals measures the preparation of the simple_evals environment,
// offline from the wheelhouse with cold installer caches, with uv and with pip:
//
//	go test -run '^$' -bench PrepareSimpleEvals -benchtime 1x ./providers/runtime/
func BenchmarkPrepareSimpleEvals(b *testing.B) {
	uv, wheelhouse := offline(b)
	pkgs := simpleEvals(b)
	for _, withUV := range []bool{true, false} {
		name := map[bool]string{true: "uv", false: "pip"}[withUV]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				m := &runtime.Manager{Dir: b.TempDir(), Environ: installer(b, uv, wheelhouse, withUV)}
				if _, err := m.Prepare(context.Background(), pkgs, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
