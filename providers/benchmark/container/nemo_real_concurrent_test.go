package container_test

import (
	"context"
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
	"github.com/evalplan/evalplan/providers/proxy"
	"github.com/evalplan/evalplan/schema"
)

// TestNeMoRealConcurrentSecret runs the real lm-evaluation-harness gsm8k twice at once
// against two endpoints — one whose model answers every question right, one every question
// wrong — each with a secret key and credentials in its URL: each run reaches only its own
// server (its score is its own model's: 1 and 0), and no file of either run directory holds
// a key, a password or a URL with credentials.
func TestNeMoRealConcurrentSecret(t *testing.T) {
	image := containertest.Env(t, "EVALPLAN_TEST_NEMO_LM_EVAL_IMAGE")
	docker := engine.New(engine.Options{Host: containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST"), Environ: []string{"HOME=" + t.TempDir()}})
	t.Cleanup(func() { docker.Close() })
	catalog, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	task, _ := catalog.Get("lm-evaluation-harness.gsm8k")
	type side struct {
		name, model, key string
		accuracy         float64
		sim              *sim.Server
		spec             *plan.RunSpec
		out              *plan.Outcome
		err              error
	}
	sides := []*side{
		{name: "right", model: "model-right", key: "key-right-0123456789", accuracy: 1},
		{name: "wrong", model: "model-wrong", key: "key-wrong-0123456789", accuracy: 0},
	}
	cfg := &config.Config{Dir: t.TempDir(), Suites: map[string]*config.Suite{"s": {Name: "s", Overrides: map[string]*config.Override{
		task.Name: {Name: task.Name, Image: image},
	}}}}
	secrets := []string{"pass-0123456789"}
	for _, sd := range sides {
		c := sim.DefaultConfig()
		c.Models, c.Accuracy, c.APIKey = []string{sd.model}, sd.accuracy, sd.key
		c.Datasets = []string{filepath.Join("..", "native", "testdata", "gsm8k_test_20.jsonl")}
		s, err := sim.New(c)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		t.Cleanup(ts.Close)
		sd.sim = s
		url := strings.Replace(ts.URL, "http://", "http://evalplan:pass-0123456789@", 1) + "/v1"
		secrets = append(secrets, sd.key, url)
		sd.spec = &plan.RunSpec{
			Address: `suite.s.run["lm-evaluation-harness.gsm8k"]["` + sd.name + `"]`, Suite: "s", Benchmark: task.Name, Task: task,
			Endpoint: &config.Endpoint{Name: sd.name, Model: sd.model, Type: "completions", URL: url, APIKey: sd.key},
			Params:   config.Params{LimitSamples: ptr(8.0), Temperature: ptr(0.0), Parallelism: ptr(4), MaxNewTokens: ptr(256)},
			Identity: containertest.RepoName(t) + sd.name, RunDir: filepath.Join(t.TempDir(), "run"),
		}
	}
	r := &container.Runner{Docker: docker, Config: cfg, StatusEvery: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, sd := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sd.out, sd.err = r.Run(ctx, sd.spec, &logs{})
		}()
	}
	wg.Wait()
	for _, sd := range sides {
		if sd.err != nil || sd.out.Status != state.StatusComplete {
			t.Fatalf("%s: %v %+v", sd.name, sd.err, sd.out)
		}
		if n := sd.sim.Count(sim.RouteCompletions); n < 8 {
			t.Errorf("%s's server got %d requests, want its own run's 8 or more", sd.name, n)
		}
		if got := sd.out.Result.Score; got != sd.accuracy {
			t.Errorf("%s scored %v, want %v: its own model's", sd.name, got, sd.accuracy)
		}
		err := filepath.WalkDir(sd.spec.RunDir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s holds a secret (%.12s…)", path, s)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// cutAfter is a plan.Progress that calls cut once n requests have been answered.
type cutAfter struct {
	plan.NopProgress
	mu   sync.Mutex
	n    int64
	done int64
	cut  func()
}

func (c *cutAfter) Add(_ string, n, errs, _ int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done += n - errs
	if c.done >= c.n && c.cut != nil {
		c.cut()
		c.cut = nil
	}
}

// TestNeMoRealInterruptedNeverAsksTwice: the real lm-evaluation-harness is interrupted after
// its second answer (as by Ctrl-C; a kill -9 of evalplan leaves the same journal), and the
// run is applied again with no response cache: the second attempt asks the model only for
// the samples the first did not get answered.
func TestNeMoRealInterruptedNeverAsksTwice(t *testing.T) {
	image := containertest.Env(t, "EVALPLAN_TEST_NEMO_LM_EVAL_IMAGE")
	docker := engine.New(engine.Options{Host: containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST"), Environ: []string{"HOME=" + t.TempDir()}})
	t.Cleanup(func() { docker.Close() })
	catalog, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	task, _ := catalog.Get("lm-evaluation-harness.gsm8k")
	c := sim.DefaultConfig()
	c.Models, c.Accuracy, c.APIKey = []string{"model-a"}, 1, "test-key"
	c.Datasets = []string{filepath.Join("..", "native", "testdata", "gsm8k_test_20.jsonl")}
	c.Latency = 200 * time.Millisecond
	s, err := sim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	cfg := &config.Config{Dir: t.TempDir(), Suites: map[string]*config.Suite{"s": {Name: "s", Overrides: map[string]*config.Override{
		task.Name: {Name: task.Name, Image: image},
	}}}}
	const samples = 8
	sp := &plan.RunSpec{
		Address: `suite.s.run["lm-evaluation-harness.gsm8k"]["sim"]`, Suite: "s", Benchmark: task.Name, Task: task,
		Endpoint: &config.Endpoint{Name: "sim", Model: "model-a", Type: "completions", URL: ts.URL + "/v1", APIKey: "test-key"},
		Params:   config.Params{LimitSamples: ptr(float64(samples)), Temperature: ptr(0.0), Parallelism: ptr(1), MaxNewTokens: ptr(256)},
		Identity: containertest.RepoName(t), RunDir: filepath.Join(t.TempDir(), "run"),
	}
	r := &container.Runner{Docker: docker, Config: cfg, StatusEvery: 10 * time.Second, StopGrace: time.Second} // no response cache
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _ := r.Run(ctx, sp, &cutAfter{n: 2, cut: cancel})
	if out != nil && out.Status == state.StatusComplete {
		t.Fatal("the first attempt completed: it was not interrupted")
	}
	first := s.Count(sim.RouteCompletions)
	answered, err := proxy.ReadReplay(filepath.Join(sp.RunDir, rundir.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(answered) < 2 {
		t.Fatalf("the first attempt's journal holds %d answers, want at least 2", len(answered))
	}
	// The harness keeps request caches of its own in the output directory (lm-eval's
	// lm_cache, nemo-evaluator's adapter cache); without them — another harness, or lost
	// files — only evalplan's request journal stands between the second attempt and the model.
	// So the second attempt gets a fresh directory holding that journal alone.
	journal, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	sp.RunDir = filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(sp.RunDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sp.RunDir, rundir.RequestsFile), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = r.Run(context.Background(), sp, &logs{})
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("second attempt: %v %+v", err, out)
	}
	t.Logf("first attempt: %d requests, %d answered; second: %d requests", first, len(answered), s.Count(sim.RouteCompletions)-first)
	if n := s.Count(sim.RouteCompletions) - first; n != int64(samples-len(answered)) {
		t.Errorf("the second attempt asked the model %d times, want %d (the first asked %d and got %d answered)", n, samples-len(answered), first, len(answered))
	}
	if out.Result.Score != 1 || out.Result.N != samples {
		t.Errorf("result %+v, want score 1 over %d samples", out.Result, samples)
	}
}
