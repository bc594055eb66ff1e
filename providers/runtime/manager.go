package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Python versions an environment may use: nemo-evaluator 0.2.8 needs Python 3.10 to 3.13.
const (
	MinPython = "3.10"
	MaxPython = "3.13"
)

// PythonVar names the interpreter to use instead of the one found on PATH.
const PythonVar = "EVALPLAN_PYTHON"

// Files of an environment's folder.
const (
	// LockFile is the resolved lock: one "name==version sha256:<RECORD digest>" line per
	// installed distribution, sorted. Its sha256 is the environment's identity.
	LockFile = "evalplan-lock.txt"
	// specFile lists the requested packages and the Python version, one a line.
	specFile = "evalplan-spec.txt"
)

// Manager prepares and lists environments under Dir.
type Manager struct {
	// Dir holds the environments: <Dir>/<spec key>/ (the venv), <Dir>/sha256-<lock hash>
	// (a link to it: environments are found by their resolved lock).
	Dir string
	// Environ is the environment of the installers and of Python discovery (PATH,
	// EVALPLAN_PYTHON, proxies, PIP_* settings); nil means the process environment.
	Environ []string
	// Python is the interpreter environments are made with; nil means the one FindPython
	// discovers in Environ (a caller that plans many runs finds it once and sets it).
	Python *Interpreter
}

// Interpreter is a Python of a supported version.
type Interpreter struct {
	// Path is the executable, Version its "3.N".
	Path, Version string
}

// Env is a prepared environment.
type Env struct {
	// Dir is the venv (Dir/bin/nemo-evaluator).
	Dir string
	// Packages are the requested packages.
	Packages []string
	// Python is the interpreter's version, "3.11".
	Python string
	// Lock is the sha256 (hex) of the resolved lock (LockFile).
	Lock string
}

// Identity is how a run names the environment in its identity: "venv:sha256:<lock>".
func (e *Env) Identity() string { return "venv:sha256:" + e.Lock }

// Bin is the path of an executable of the environment.
func (e *Env) Bin(name string) string { return filepath.Join(e.Dir, "bin", name) }

// Prepare returns the environment of pkgs, creating it the first time: with uv when it is
// on PATH, else with `python -m venv` and pip. One process creates it while others wait;
// say reports progress.
func (m *Manager) Prepare(ctx context.Context, pkgs []string, say func(string)) (*Env, error) {
	if say == nil {
		say = func(string) {}
	}
	if len(pkgs) == 0 {
		return nil, errors.New("prepare a Python environment: no packages")
	}
	pkgs = slices.Sorted(slices.Values(pkgs))
	ip, err := m.interpreter(ctx)
	if err != nil {
		return nil, err
	}
	py, ver := ip.Path, ip.Version
	key := specKey(pkgs, ver)
	dir := filepath.Join(m.Dir, key)
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", m.Dir, err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if env, err := Open(dir); err == nil {
		return env, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove the incomplete environment %s: %w", dir, err)
	}
	start := time.Now()
	if err := m.install(ctx, py, dir, pkgs, say); err != nil {
		return nil, err
	}
	spec := strings.Join(append(slices.Clone(pkgs), "python "+ver), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, specFile), []byte(spec), 0o644); err != nil {
		return nil, err
	}
	lock, err := resolvedLock(dir)
	if err != nil {
		return nil, err
	}
	// The lock is written last: its presence marks the environment complete.
	if err := os.WriteFile(filepath.Join(dir, LockFile), lock, 0o644); err != nil {
		return nil, err
	}
	env, err := Open(dir)
	if err != nil {
		return nil, err
	}
	link := filepath.Join(m.Dir, "sha256-"+env.Lock)
	_ = os.Remove(link)
	_ = os.Symlink(key, link)
	say(fmt.Sprintf("prepared the Python %s environment %s (%s) in %s", ver, dir, strings.Join(pkgs, " "), time.Since(start).Round(time.Second)))
	return env, nil
}

// Lookup returns the prepared environment of pkgs, the one Prepare would return, without
// installing anything; nil when it is not prepared (or only partly). It fails only when no
// supported Python is found.
func (m *Manager) Lookup(ctx context.Context, pkgs []string) (*Env, error) {
	ip, err := m.interpreter(ctx)
	if err != nil {
		return nil, err
	}
	env, err := Open(filepath.Join(m.Dir, specKey(slices.Sorted(slices.Values(pkgs)), ip.Version)))
	if err != nil {
		return nil, nil
	}
	return env, nil
}

// Open returns the complete environment in dir.
func Open(dir string) (*Env, error) {
	lock, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a prepared environment: %w", dir, err)
	}
	spec, _ := os.ReadFile(filepath.Join(dir, specFile))
	env := &Env{Dir: dir}
	for _, l := range strings.Split(strings.TrimSpace(string(spec)), "\n") {
		if v, ok := strings.CutPrefix(l, "python "); ok {
			env.Python = v
		} else if l != "" {
			env.Packages = append(env.Packages, l)
		}
	}
	sum := sha256.Sum256(lock)
	env.Lock = hex.EncodeToString(sum[:])
	return env, nil
}

// List returns the complete environments under Dir.
func (m *Manager) List() ([]*Env, error) {
	entries, err := os.ReadDir(m.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Env
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if env, err := Open(filepath.Join(m.Dir, e.Name())); err == nil {
			out = append(out, env)
		}
	}
	return out, nil
}

// Clear removes every environment under Dir.
func (m *Manager) Clear() error {
	if err := os.RemoveAll(m.Dir); err != nil {
		return fmt.Errorf("remove %s: %w", m.Dir, err)
	}
	return nil
}

// specKey names the folder of a package set on a Python version.
func specKey(pkgs []string, ver string) string {
	sum := sha256.Sum256([]byte(strings.Join(pkgs, "\n") + "\npython " + ver))
	return "py" + ver + "-" + hex.EncodeToString(sum[:8])
}

func (m *Manager) environ() []string {
	if m.Environ == nil {
		return os.Environ()
	}
	return m.Environ
}

func (m *Manager) getenv(k string) string {
	for _, kv := range m.environ() {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// lookPath finds name on the PATH of m's environment.
func (m *Manager) lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, d := range filepath.SplitList(m.getenv("PATH")) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// interpreter is m.Python, else the one FindPython discovers.
func (m *Manager) interpreter(ctx context.Context) (*Interpreter, error) {
	if m.Python != nil {
		return m.Python, nil
	}
	return m.FindPython(ctx)
}

// FindPython finds an interpreter of a supported version: EVALPLAN_PYTHON, else the first
// of python3.11, python3.12, python3.13, python3.10, python3 on the PATH of Environ. The
// error says what to install.
func (m *Manager) FindPython(ctx context.Context) (*Interpreter, error) {
	p, v, err := m.python(ctx)
	if err != nil {
		return nil, err
	}
	return &Interpreter{Path: p, Version: v}, nil
}

// python finds an interpreter of a supported version (FindPython).
func (m *Manager) python(ctx context.Context) (path, version string, err error) {
	cands := []string{"python3.11", "python3.12", "python3.13", "python3.10", "python3"}
	if p := m.getenv(PythonVar); p != "" {
		cands = []string{p}
	}
	var seen []string
	for _, c := range cands {
		p, err := m.lookPath(c)
		if err != nil {
			continue
		}
		cmd := exec.CommandContext(ctx, p, "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
		cmd.Env = m.environ()
		out, err := cmd.Output()
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(out))
		if supported(v) {
			return p, v, nil
		}
		seen = append(seen, p+" is "+v)
	}
	if len(seen) > 0 {
		return "", "", fmt.Errorf("no supported Python: %s; the evaluator packages (nemo-evaluator 0.2.8) need Python %s to %s: install python3.11 (or `uv python install 3.11`) and set %s to its path", strings.Join(seen, ", "), MinPython, MaxPython, PythonVar)
	}
	return "", "", fmt.Errorf("no Python found on PATH; the venv runtime needs Python %s to %s: install python3.11 with its venv module (Debian: apt-get install python3 python3-venv), or set %s", MinPython, MaxPython, PythonVar)
}

// supported reports whether a "3.N" version is within MinPython..MaxPython.
func supported(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major == 3 && minor >= 10 && minor <= 13
}

// install creates the venv in dir and installs pkgs, with uv when it is on PATH.
func (m *Manager) install(ctx context.Context, py, dir string, pkgs []string, say func(string)) error {
	var steps [][]string
	if uv, err := m.lookPath("uv"); err == nil {
		say(fmt.Sprintf("creating a Python environment with uv: %s", strings.Join(pkgs, " ")))
		steps = [][]string{
			{uv, "venv", "--quiet", "--python", py, dir},
			append([]string{uv, "pip", "install", "--quiet", "--python", filepath.Join(dir, "bin", "python")}, pkgs...),
		}
	} else {
		say(fmt.Sprintf("creating a Python environment with %s -m venv and pip (a few minutes): %s", py, strings.Join(pkgs, " ")))
		steps = [][]string{
			{py, "-m", "venv", dir},
			append([]string{filepath.Join(dir, "bin", "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"}, pkgs...),
		}
	}
	for _, s := range steps {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, s[0], s[1:]...)
		cmd.Env, cmd.Stdout, cmd.Stderr = m.environ(), &out, &out
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("install %s: %s: %w\n%s\ncheck the package names and versions, and that the package index is reachable (PIP_INDEX_URL, HTTPS_PROXY)", strings.Join(pkgs, " "), filepath.Base(s[0]), err, tail(out.String(), 20))
		}
	}
	return nil
}

// seed reports whether a distribution is one an installer may put in every environment of
// its own accord: `python -m venv` installs pip (and, before Python 3.12, setuptools), uv
// none.
func seed(name string) bool {
	switch name {
	case "pip", "setuptools", "wheel":
		return true
	}
	return false
}

// resolvedLock lists the environment's installed distributions with the digest of each
// RECORD (the list of its files and their hashes), sorted. An installer's seed (pip,
// setuptools, wheel) that no installed distribution requires is left out: it is how the
// environment was made, not what its packages resolve to, so that pip and uv give the same
// lock.
func resolvedLock(dir string) ([]byte, error) {
	records, err := filepath.Glob(filepath.Join(dir, "lib", "python3*", "site-packages", "*.dist-info", "RECORD"))
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%s has no installed distributions", dir)
	}
	required := map[string]bool{}
	for _, r := range records {
		meta, _ := os.ReadFile(filepath.Join(filepath.Dir(r), "METADATA"))
		for _, name := range requires(meta) {
			required[name] = true
		}
	}
	lines := make([]string, 0, len(records))
	for _, r := range records {
		b, err := os.ReadFile(r)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(filepath.Dir(r)), ".dist-info")
		n, v, _ := strings.Cut(name, "-")
		n = normalize(n)
		if seed(n) && !required[n] {
			continue
		}
		sum := sha256.Sum256(recordContent(b))
		lines = append(lines, fmt.Sprintf("%s==%s sha256:%s", n, v, hex.EncodeToString(sum[:])))
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "\n") + "\n"), nil
}

// requires lists the normalized names a distribution's METADATA requires, leaving out the
// requirements of its extras (installed only when asked for).
func requires(meta []byte) []string {
	var out []string
	for _, l := range strings.Split(string(meta), "\n") {
		req, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "Requires-Dist:")
		if !ok {
			if strings.TrimSpace(l) == "" {
				break // the headers end; the description follows
			}
			continue
		}
		if _, marker, _ := strings.Cut(req, ";"); strings.Contains(marker, "extra ") || strings.Contains(marker, "extra==") {
			continue
		}
		req = strings.TrimSpace(req)
		end := strings.IndexFunc(req, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		})
		if end >= 0 {
			req = req[:end]
		}
		if req != "" {
			out = append(out, normalize(req))
		}
	}
	return out
}

// normalize is a distribution's name as the lock writes it: lower case, "_" and "." as "-".
func normalize(name string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
}

// recordContent is a RECORD without the lines that depend on where or how the environment
// was installed: scripts (whose shebang holds the venv's path, "../../../bin/..."), and the
// installer's own files (INSTALLER says pip or uv; RECORD, REQUESTED, direct_url.json, and
// uv's uv_cache.json).
func recordContent(b []byte) []byte {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimRight(l, "\r") // pip ends RECORD's lines with CRLF, uv with LF
		path, _, _ := strings.Cut(l, ",")
		base := path[strings.LastIndex(path, "/")+1:]
		if l == "" || strings.HasPrefix(path, "../") || strings.Contains(path, "__pycache__") ||
			strings.Contains(path, ".dist-info/") && slices.Contains([]string{"INSTALLER", "RECORD", "REQUESTED", "direct_url.json", "uv_cache.json"}, base) {
			continue
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return []byte(strings.Join(out, "\n"))
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
