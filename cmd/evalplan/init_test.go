package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/schema"
	"github.com/evalplan/evalplan/schema/scaffold"
	"github.com/google/go-cmp/cmp"
)

// tmuxPane is one tmux session on a private socket, running one command in a 100x40 pane.
type tmuxPane struct {
	t    *testing.T
	tmux string
	sock string
}

// tmuxBinary is tmux from EVALPLAN_TEST_TMUX (set by .ci/services.d/60-tmux.sh), else from
// PATH. Without it the test is skipped, or fails when CI=true.
func tmuxBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("EVALPLAN_TEST_TMUX")
	if path == "" {
		path, _ = exec.LookPath("tmux")
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is missing: .ci/services.d/60-tmux.sh installs it and sets EVALPLAN_TEST_TMUX")
		}
		t.Skip("tmux is not installed (apt-get install tmux); EVALPLAN_TEST_TMUX is not set")
	}
	return path
}

// startPane starts argv in a new detached tmux session in dir. After the command exits the
// pane shows "[exit N]" and stays open until the test ends.
func startPane(t *testing.T, dir string, argv ...string) *tmuxPane {
	t.Helper()
	p := &tmuxPane{t: t, tmux: tmuxBinary(t), sock: filepath.Join(t.TempDir(), "tmux.sock")}
	// bash, not sh: a Ctrl-C the command handles must not end the wrapper (dash dies of
	// the SIGINT the terminal sends the whole foreground process group, and the pane with it).
	script := `"$@"; echo "[exit $?]"; exec cat`
	args := append([]string{"-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "40", "-c", dir,
		"bash", "-c", script, "bash"}, argv...)
	p.run(args...)
	t.Cleanup(func() { exec.Command(p.tmux, "-S", p.sock, "kill-server").Run() })
	return p
}

func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	out, err := exec.Command(p.tmux, append([]string{"-S", p.sock}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (p *tmuxPane) screen() string { return p.run("capture-pane", "-p") }

// waitFor polls the screen until it shows text; it fails after a generous deadline, which
// only a hung or wrong wizard reaches.
func (p *tmuxPane) waitFor(text string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s := p.screen()
		if strings.Contains(s, text) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the screen never showed %q; it shows:\n%s", text, s)
		}
		<-tick.C
	}
}

// focus waits until the field with this title has the focus (huh draws "┃ " before it).
func (p *tmuxPane) focus(title string) {
	p.t.Helper()
	p.waitFor("┃ " + title)
}

// keys sends tmux key names (Enter, Down, y, ...).
func (p *tmuxPane) keys(keys ...string) { p.run(append([]string{"send-keys"}, keys...)...) }

// typeText sends literal text.
func (p *tmuxPane) typeText(s string) { p.run("send-keys", "-l", s) }

// TestInitWizard answers a short path through the real huh form in a pseudo-terminal (a tmux
// pane): an existing server's URL, a model, an API key variable, the quick preset, a sample
// limit, the venv harness runtime, a managed MLflow server, local files and a floor. The file written must be exactly
// what Generate makes of those answers. (huh's accessible mode, which reads answers line by
// line, asks every field of every group regardless of the wizard's branches, so it would not
// test the form users see.)
func TestInitWizard(t *testing.T) {
	bin, err := exec.LookPath("evalplan") // testscript.Main put this test binary there
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := startPane(t, dir, "env", "GORACE=atexit_sleep_ms=0", bin, "init")

	// huh moves focus with a command that runs after the key that asked for it, so a key
	// sent before the next field shows focus ("┃ Title") could land in the previous one.
	p.focus("Where does the model run?")
	p.keys("Enter") // the first option: a running server's URL
	p.focus("Base URL")
	p.typeText("http://127.0.0.1:8000/v1")
	p.keys("Enter")
	p.focus("Model name")
	p.typeText("test-model")
	p.keys("Enter")
	p.focus("Endpoint type")
	p.keys("Enter") // chat, the default
	p.focus("API key environment variable")
	p.typeText("MY_KEY")
	p.keys("Enter")
	p.focus("How do you want to choose benchmarks?")
	p.keys("Enter") // a preset (selected by default)
	p.focus("Preset")
	p.keys("Enter") // quick (the default)
	p.focus("Samples per benchmark")
	p.typeText("10")
	p.keys("Enter")
	p.focus("Temperature")
	p.keys("Enter") // blank: each benchmark's default
	p.focus("Parallelism")
	p.keys("Enter")
	p.focus("Harness runtime")
	p.keys("Down", "Enter") // venv
	p.focus("Export results to MLflow?")
	p.keys("y")
	p.focus("MLflow tracking URI")
	p.keys("Enter") // the default
	p.focus("MLflow experiment")
	p.keys("Enter")
	p.focus("Start a local MLflow server when none answers?")
	p.keys("y")
	p.focus("Also write results to local files")
	p.keys("y")
	p.focus("Score floor")
	p.typeText("0.5")
	p.keys("Enter")
	p.waitFor("[exit ")
	screen := p.screen()
	if !strings.Contains(screen, "[exit 0]") || !strings.Contains(screen, "evalplan plan") || !strings.Contains(screen, "evalplan runtimes prepare") {
		t.Fatalf("init did not finish with its next steps:\n%s", screen)
	}

	got, err := os.ReadFile(filepath.Join(dir, "eval.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	limit, floor := 10.0, 0.5
	want := scaffold.Answers{
		Endpoint: scaffold.Endpoint{URL: "http://127.0.0.1:8000/v1", Model: "test-model", Type: "chat", APIKeyEnv: "MY_KEY"},
		Suite:    scaffold.Suite{Preset: "quick", LimitSamples: &limit, Runtime: "venv"},
		MLflow:   &scaffold.MLflow{Managed: true},
		Local:    true, CheckFloor: &floor,
	}
	cat, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := want.Resolve(cat); err != nil {
		t.Fatal(err)
	}
	wantSrc, err := scaffold.Generate(&want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(wantSrc), string(got)); diff != "" {
		t.Errorf("eval.hcl written by the wizard (-want +got):\n%s", diff)
	}
}

// TestInitWizardCancel: ctrl+c leaves no file and exits 130.
func TestInitWizardCancel(t *testing.T) {
	bin, err := exec.LookPath("evalplan")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := startPane(t, dir, "env", "GORACE=atexit_sleep_ms=0", bin, "init")
	p.focus("Where does the model run?")
	p.keys("Enter")
	p.focus("Base URL")
	p.keys("C-c")
	p.waitFor("[exit ")
	if s := p.screen(); !strings.Contains(s, "Cancelled: nothing was written.") || !strings.Contains(s, "[exit 130]") {
		t.Errorf("after ctrl+c the screen shows:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "eval.hcl")); !os.IsNotExist(err) {
		t.Errorf("eval.hcl exists after ctrl+c (stat: %v)", err)
	}
}
