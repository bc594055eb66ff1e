package container_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	engine "github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/schema"
)

// questions are the GSM8K records the test evaluator asks, so that the simulator knows them.
const questions = "../../container/testdata/evaluator/questions.jsonl"

// simulator starts the simulated model server on loopback, serving the given models, with
// API key "test-key"; it returns the /v1 base URL.
func simulator(t *testing.T, accuracy float64, models ...string) (*sim.Server, string) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Models = models
	cfg.Accuracy = accuracy
	cfg.APIKey = "test-key"
	cfg.Datasets = []string{questions}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs first: releases hung requests
	return s, ts.URL + "/v1"
}

// fixture is a pushed test image and a Docker client for the runner.
type fixture struct {
	reg    containertest.Registry
	docker *engine.Client
	binary string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := containertest.OpenRegistry(t)
	host := containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST")
	c := engine.New(engine.Options{Host: host, Environ: []string{"HOME=" + t.TempDir()}})
	t.Cleanup(func() { c.Close() })
	return &fixture{reg: reg, docker: c, binary: containertest.Binary(t, t.TempDir())}
}

// push pushes the test image as eval-factory/<test name>:tag and returns "repo@digest".
func (f *fixture) push(t *testing.T, tag string, opts containertest.ImageOptions) string {
	t.Helper()
	api := containertest.Docker(t)
	repo := "eval-factory/" + containertest.RepoName(t)
	digest := containertest.Push(t, api, f.reg, f.binary, repo+":"+tag, opts)
	ref := f.reg.Addr + "/" + repo + "@" + digest
	t.Cleanup(func() { containertest.Remove(t, api, ref) })
	return ref
}

// logs is a plan.Progress that keeps Log lines and can react to them.
type logs struct {
	plan.NopProgress
	mu    sync.Mutex
	lines []string
	on    func(string)
}

func (l *logs) Log(addr, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	on := l.on
	l.mu.Unlock()
	if on != nil {
		on(msg)
	}
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// spec is a run of a fake catalog task against url whose image is ref (a benchmark block).
func spec(t *testing.T, url, ref string, params config.Params) (*plan.RunSpec, *config.Config) {
	// Dir is the project: each test's containers carry its own, so that the removal of an
	// earlier attempt's leftovers never reaches another test's.
	cfg := &config.Config{Dir: t.TempDir(), Suites: map[string]*config.Suite{"s": {Name: "s", Overrides: map[string]*config.Override{
		"fake.gpqa_diamond": {Name: "fake.gpqa_diamond", Image: ref},
	}}}}
	return &plan.RunSpec{
		Address: `suite.s.run["fake.gpqa_diamond"]["sim"]`, Suite: "s", Benchmark: "fake.gpqa_diamond",
		Task:     &schema.Task{Name: "fake.gpqa_diamond", Harness: "fake", Task: "gpqa_diamond"},
		Endpoint: &config.Endpoint{Name: "sim", Model: "model-a", Type: "chat", URL: url, APIKey: "test-key"},
		Params:   params, Identity: containertest.RepoName(t), RunDir: filepath.Join(t.TempDir(), "run"),
	}, cfg
}

func ptr[T any](v T) *T { return &v }

func TestRunnerRunsTheContract(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		executable string
	}{
		{"nemo-evaluator", "nemo-evaluator"},
		{"eval-factory fallback", "eval-factory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := simulator(t, 1, "model-a")
			ref := f.push(t, "test", containertest.ImageOptions{Executable: tt.executable})
			sp, cfg := spec(t, url, ref, config.Params{LimitSamples: ptr(4.0), Temperature: ptr(0.0)})
			r := &container.Runner{Docker: f.docker, Config: cfg, StatusEvery: 100 * time.Millisecond}
			progress := &logs{}
			out, err := r.Run(context.Background(), sp, progress)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != state.StatusComplete {
				t.Fatalf("status %s: %s", out.Status, out.Error)
			}
			res := out.Result
			if res.Primary != "score_micro" || res.Score != 1 || res.N != 4 || res.Metrics["answered"].Value != 1 || res.Subscores != nil {
				t.Errorf("result = %+v", res)
			}
			own, _ := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerConfigFile))
			resolved, _ := os.ReadFile(filepath.Join(sp.RunDir, container.ResolvedConfigFile))
			if strings.Contains(string(own), "resolved by the evaluator") || !strings.Contains(string(resolved), "resolved by the evaluator") {
				t.Errorf("run_config.yml is not evalplan's copy, or the evaluator's is not kept:\n%s\n---\n%s", own, resolved)
			}
			if got := s.Count(sim.RouteChat); got != 4 {
				t.Errorf("the simulator got %d chat requests, want 4", got)
			}
			for _, name := range []string{rundir.ContainerConfigFile, rundir.ContainerLogFile, rundir.ContainerResultsFile, rundir.ResultsFile} {
				if _, err := os.Stat(filepath.Join(sp.RunDir, name)); err != nil {
					t.Errorf("artifact: %v", err)
				}
			}
			if text := progress.text(); !strings.Contains(text, "pulling "+ref) || !strings.Contains(text, "container running") || !strings.Contains(text, "exited with code 0") {
				t.Errorf("progress lines:\n%s", text)
			}
		})
	}
}

func TestRunnerFailures(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	absent := f.reg.Addr + "/eval-factory/absent@sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name   string
		ref    string
		params config.Params
		want   []string
	}{
		{"exit 1", ref, config.Params{Extra: map[string]any{"mode": "exit1"}}, []string{"exited with code 1", "failing on purpose"}},
		{"garbled results", ref, config.Params{Extra: map[string]any{"mode": "garbled"}}, []string{"parse results.yml", "garbled results.yml (mode garbled)"}},
		{"no results", ref, config.Params{Extra: map[string]any{"mode": "noresults"}}, []string{"wrote no results.yml", "exiting without results"}},
		{"timeout", ref, config.Params{Timeout: ptr(1.0), Extra: map[string]any{"mode": "hang"}}, []string{"timed out after 1s", "hanging on purpose"}},
		{"image missing", absent, config.Params{}, []string{"image not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, cfg := spec(t, url, tt.ref, tt.params)
			r := &container.Runner{Docker: f.docker, Config: cfg}
			out, err := r.Run(context.Background(), sp, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != state.StatusFailed {
				t.Fatalf("status %s, want failed", out.Status)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.Error, w) {
					t.Errorf("error %q does not contain %q", out.Error, w)
				}
			}
			left, err := f.docker.Leftovers(context.Background(), map[string]string{"dev.evalplan.identity": sp.Identity})
			if err != nil || len(left) > 0 {
				t.Errorf("containers left behind: %v %v", left, err)
			}
		})
	}
}

func TestRunnerInterrupt(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	sp, cfg := spec(t, url, ref, config.Params{Extra: map[string]any{"mode": "hang"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &logs{on: func(msg string) {
		if strings.HasPrefix(msg, "container running") {
			cancel() // Ctrl-C while the container runs
		}
	}}
	out, err := (&container.Runner{Docker: f.docker, Config: cfg}).Run(ctx, sp, progress)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if out.Status != state.StatusFailed || !strings.Contains(out.Error, "interrupted") {
		t.Errorf("outcome = %+v", out)
	}
	left, err := f.docker.Leftovers(context.Background(), map[string]string{"dev.evalplan.identity": sp.Identity})
	if err != nil || len(left) > 0 {
		t.Errorf("containers left behind: %v %v", left, err)
	}
}

// TestRunnerSecretURL: a URL with credentials reaches the container through a private,
// read-only config, while the run directory (exported to MLflow) keeps a redacted copy.
func TestRunnerSecretURL(t *testing.T) {
	f := newFixture(t)
	s, url := simulator(t, 1, "model-a")
	secretURL := strings.Replace(url, "http://", "http://user:URLSECRET@", 1)
	ref := f.push(t, "test", containertest.ImageOptions{Executable: "nemo-evaluator"})
	sp, cfg := spec(t, secretURL, ref, config.Params{LimitSamples: ptr(2.0), Temperature: ptr(0.0)})
	r := &container.Runner{Docker: f.docker, Config: cfg}
	out, err := r.Run(context.Background(), sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != state.StatusComplete {
		t.Fatalf("status %s: %s", out.Status, out.Error)
	}
	if got := s.Count(sim.RouteChat); got != 2 {
		t.Errorf("the simulator got %d chat requests, want 2", got)
	}
	err = filepath.WalkDir(sp.RunDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "URLSECRET") || strings.Contains(string(b), "test-key") {
			t.Errorf("%s contains the secret URL", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunnerRemovesLeftover: a container of the same run left running by an earlier,
// interrupted attempt (here: one that hangs) is found by its labels and removed before
// the run starts again; the new attempt completes.
func TestRunnerRemovesLeftover(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	hang, cfg := spec(t, url, ref, config.Params{Extra: map[string]any{"mode": "hang"}})
	running := make(chan struct{})
	var once sync.Once
	first := make(chan error, 1)
	go func() {
		progress := &logs{on: func(msg string) {
			if strings.HasPrefix(msg, "container running") {
				once.Do(func() { close(running) })
			}
		}}
		_, err := (&container.Runner{Docker: f.docker, Config: cfg}).Run(context.Background(), hang, progress)
		first <- err
	}()
	select {
	case <-running:
	case err := <-first:
		t.Fatalf("the hanging attempt ended before it ran: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("the hanging attempt never started its container")
	}
	again := *hang
	again.Params = config.Params{}
	again.RunDir = filepath.Join(t.TempDir(), "run")
	progress := &logs{}
	out, err := (&container.Runner{Docker: f.docker, Config: cfg}).Run(context.Background(), &again, progress)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("second attempt: %+v %v", out, err)
	}
	if !strings.Contains(progress.text(), "stopped and removed 1 leftover container(s)") {
		t.Errorf("the leftover was not reported:\n%s", progress.text())
	}
	select {
	case <-first:
	case <-time.After(time.Minute):
		t.Error("the leftover container is still running")
	}
	left, err := f.docker.Leftovers(context.Background(), map[string]string{container.LabelAddress: hang.Address, container.LabelProject: cfg.Dir})
	if err != nil || len(left) > 0 {
		t.Errorf("containers left behind: %v %v", left, err)
	}
}

// TestRunnerCountsSamples: neither harness writes stats.count; n comes from the per-sample
// files, else from the adapter's request count, else it is marked unknown.
func TestRunnerCountsSamples(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	tests := []struct {
		mode        string
		wantN       int
		wantUnknown bool
	}{{"", 3, false}, {"nosamples", 3, false}, {"nocount", 0, true}}
	for _, tt := range tests {
		t.Run("mode "+tt.mode, func(t *testing.T) {
			sp, cfg := spec(t, url, ref, config.Params{LimitSamples: ptr(3.0), Extra: map[string]any{"mode": tt.mode}})
			out, err := (&container.Runner{Docker: f.docker, Config: cfg}).Run(context.Background(), sp, nil)
			if err != nil || out.Status != state.StatusComplete {
				t.Fatalf("%+v %v", out, err)
			}
			if out.Result.N != tt.wantN || out.Result.NUnknown != tt.wantUnknown || !out.Result.Scored() {
				t.Errorf("N = %d, NUnknown = %v; want %d, %v", out.Result.N, out.Result.NUnknown, tt.wantN, tt.wantUnknown)
			}
		})
	}
}

// TestRunnerAdapterPorts: two host-network containers at the same time each get their own
// ADAPTER_PORT; without it both evaluators would take 3825 and one would fail (the real
// one would silently share the other's adapter).
func TestRunnerAdapterPorts(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	var wg sync.WaitGroup
	outs := make([]*plan.Outcome, 2)
	errs := make([]error, 2)
	for i := range outs {
		sp, cfg := spec(t, url, ref, config.Params{LimitSamples: ptr(1.0), Extra: map[string]any{"mode": "linger"}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = (&container.Runner{Docker: f.docker, Config: cfg}).Run(context.Background(), sp, nil)
		}()
	}
	wg.Wait()
	for i, out := range outs {
		if errs[i] != nil || out.Status != state.StatusComplete {
			t.Errorf("run %d: %+v %v", i, out, errs[i])
		}
	}
}

// TestRunnerTimeoutSIGTERM: a run past its timeout sends the evaluator SIGTERM, which
// leaves nemo-evaluator's interrupted marker, before the container is removed.
func TestRunnerTimeoutSIGTERM(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	sp, cfg := spec(t, url, ref, config.Params{Timeout: ptr(1.0), Extra: map[string]any{"mode": "hang"}})
	out, err := (&container.Runner{Docker: f.docker, Config: cfg, StopGrace: 5 * time.Second}).Run(context.Background(), sp, nil)
	if err != nil || out.Status != state.StatusFailed {
		t.Fatalf("%+v %v", out, err)
	}
	if !strings.Contains(out.Error, "sent SIGTERM, then killed if still running after 5s") {
		t.Errorf("error %q", out.Error)
	}
	if _, err := os.Stat(filepath.Join(sp.RunDir, ".nemo_evaluator_interrupted")); err != nil {
		t.Errorf("no interrupted marker: the evaluator did not get SIGTERM: %v", err)
	}
}
