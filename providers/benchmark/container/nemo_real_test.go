package container_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
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
	"gopkg.in/yaml.v3"
)

// TestNeMoRealHarnesses runs NVIDIA's real evaluator packages (nemo-evaluator 0.2.8 with
// nvidia-simple-evals / nvidia-lm-eval 26.3, in the stand-in images that
// .ci/services.d/70-nemo-images.sh builds and pushes) through the container runner, against
// the simulator, and checks that evalplan records the harness's own headline: the task's
// entry of results.yml — results.groups.<task>, else results.tasks.<task>.
func TestNeMoRealHarnesses(t *testing.T) {
	images := map[string]string{
		"simple_evals":          containertest.Env(t, "EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE"),
		"lm-evaluation-harness": containertest.Env(t, "EVALPLAN_TEST_NEMO_LM_EVAL_IMAGE"),
	}
	host := containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST")
	docker := engine.New(engine.Options{Host: host, Environ: []string{"HOME=" + t.TempDir()}})
	t.Cleanup(func() { docker.Close() })
	catalog, err := schema.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		benchmark string
		endpoint  string // endpoint type
		route     string // the simulator route the harness calls
		skip      string // set while evalplan reads the wrong entry
		limit     float64
		samples   int // what the harness scores: limit_samples, times 57 subtasks for lm-eval's mmlu group
	}{
		{"simple_evals.mmlu", "chat", sim.RouteChat, "", 8, 8},
		{"lm-evaluation-harness.gsm8k", "completions", sim.RouteCompletions, "", 8, 8},
		// A group task: NeMo's mmlu runs lm-eval's mmlu_str group, limit_samples per subtask.
		{"lm-evaluation-harness.mmlu", "completions", sim.RouteCompletions, "", 1, 57},
	}
	for _, tt := range tests {
		t.Run(tt.benchmark, func(t *testing.T) {
			task, ok := catalog.Get(tt.benchmark)
			if !ok {
				t.Fatalf("%s is not in the catalog", tt.benchmark)
			}
			s, url := simulator(t, 1, "model-a")
			sp := &plan.RunSpec{
				Address: fmt.Sprintf(`suite.s.run[%q]["sim"]`, tt.benchmark), Suite: "s", Benchmark: tt.benchmark,
				Task:     task,
				Endpoint: &config.Endpoint{Name: "sim", Model: "model-a", Type: tt.endpoint, URL: url, APIKey: "test-key"},
				Params: config.Params{LimitSamples: ptr(tt.limit), Temperature: ptr(0.0), Parallelism: ptr(4),
					MaxNewTokens: ptr(256)},
				Identity: containertest.RepoName(t), RunDir: filepath.Join(t.TempDir(), "run"),
			}
			// Dir is the project: another test process running this test on the same daemon
			// must not remove this one's container as a leftover of the same address.
			cfg := &config.Config{Dir: t.TempDir(), Suites: map[string]*config.Suite{"s": {Name: "s", Overrides: map[string]*config.Override{
				tt.benchmark: {Name: tt.benchmark, Image: images[task.Harness]},
			}}}}
			r := &container.Runner{Docker: docker, Config: cfg, StatusEvery: 10 * time.Second}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			progress := &logs{}
			out, err := r.Run(ctx, sp, progress)
			if err != nil {
				t.Fatal(err)
			}
			keepRun(t, sp.RunDir, tt.benchmark)
			if out.Status != state.StatusComplete {
				logText, _ := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerLogFile))
				t.Fatalf("status %s: %s\nprogress:\n%s\ncontainer.log:\n%s", out.Status, out.Error, progress.text(), logText)
			}
			if got := s.Count(tt.route); got < int64(tt.samples) {
				t.Errorf("the simulator got %d requests on %s, want at least 8 (limit_samples)", got, tt.route)
			}
			// Every request went through evalplan's local endpoint and is journaled.
			if j, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.RequestsFile)); err != nil || int64(bytes.Count(j, []byte("\n"))) != s.Count(tt.route) {
				t.Errorf("%s: %d lines for %d requests (%v)", rundir.RequestsFile, bytes.Count(j, []byte("\n")), s.Count(tt.route), err)
			}
			b, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			where, want := headline(t, b, task.Task)
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			res := out.Result
			got := make([]string, 0, len(res.Metrics))
			for name := range res.Metrics {
				got = append(got, name)
			}
			sort.Strings(got)
			if names := keys(want); !slices.Equal(got, names) {
				t.Errorf("evalplan recorded the metrics %v, want those of %s: %v", got, where, names)
			}
			if v, ok := want[res.Primary]; !ok || res.Score != v {
				t.Errorf("evalplan recorded score %v (%s), want %s's %s = %v", res.Score, res.Primary, where, res.Primary, v)
			}
			for name, v := range want {
				if m, ok := res.Metrics[name]; ok && m.Value != v {
					t.Errorf("metric %s = %v, want %s's %v", name, m.Value, where, v)
				}
			}
			if res.N != tt.samples || res.NUnknown {
				t.Errorf("evalplan recorded n = %d (unknown %v), want the %d samples the harness scored", res.N, res.NUnknown, tt.samples)
			}
			checkJournal(t, sp.RunDir, task.Harness, res.Primary, res.Score, tt.samples)
		})
	}
}

// harnessEntry is a results.yml entry: metrics.<metric>.scores.<score>.value.
type harnessEntry struct {
	Metrics map[string]struct {
		Scores map[string]struct {
			Value float64 `yaml:"value"`
		} `yaml:"scores"`
	} `yaml:"metrics"`
}

// headline returns where the task's own entry is in results.yml (results.groups.<task>, else
// results.tasks.<task>) and its scores, named as evalplan names metrics ("<metric>_<score>",
// "<metric>" when the two are equal).
func headline(t *testing.T, b []byte, task string) (string, map[string]float64) {
	t.Helper()
	var doc struct {
		Results struct {
			Groups map[string]harnessEntry `yaml:"groups"`
			Tasks  map[string]harnessEntry `yaml:"tasks"`
		} `yaml:"results"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("results.yml: %v", err)
	}
	where := "results.groups." + task
	e, ok := doc.Results.Groups[task]
	if !ok {
		where = "results.tasks." + task
		e, ok = doc.Results.Tasks[task]
	}
	if !ok && len(doc.Results.Groups) == 1 {
		// NeMo's lm-eval mmlu runs the group mmlu_str: the file's only group, named after it.
		for name, g := range doc.Results.Groups {
			if strings.HasPrefix(name, task) {
				where, e, ok = "results.groups."+name, g, true
			}
		}
	}
	if !ok {
		t.Fatalf("results.yml has no entry for %s:\n%s", task, b)
	}
	scores := map[string]float64{}
	for metric, m := range e.Metrics {
		for score, s := range m.Scores {
			name := metric + "_" + score
			if score == metric {
				name = metric
			}
			scores[name] = s.Value
		}
	}
	if len(scores) == 0 {
		t.Fatalf("%s has no scores:\n%s", where, b)
	}
	return where, scores
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// keepRun copies the run directory to $EVALPLAN_KEEP_NEMO_RUNS/<benchmark> when that is set,
// so that excerpts of what the real harnesses write can be taken into testdata.
func keepRun(t *testing.T, runDir, benchmark string) {
	t.Helper()
	dir := os.Getenv("EVALPLAN_KEEP_NEMO_RUNS")
	if dir == "" {
		return
	}
	dst := filepath.Join(dir, benchmark)
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dst, os.DirFS(runDir)); err != nil {
		t.Fatal(err)
	}
}

// checkJournal checks the run's journal: for lm-eval, one record per sample whose mean
// primary score is the recorded score; for simple-evals, which writes its samples only into an
// HTML report, none.
func checkJournal(t *testing.T, runDir, harness, primary string, score float64, samples int) {
	t.Helper()
	path := filepath.Join(runDir, rundir.JournalFile)
	if harness != "lm-evaluation-harness" {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want none for %s", rundir.JournalFile, err, harness)
		}
		return
	}
	n, sum := 0, 0.0
	err := rundir.ReadJournal(path, func(r *rundir.Record) error {
		v, ok := r.Score[primary]
		if !ok {
			t.Errorf("sample %s has no %s score: %v", r.ID, primary, r.Score)
		}
		n, sum = n+1, sum+v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != samples || math.Abs(sum/float64(n)-score) > 1e-12 {
		t.Errorf("%s: %d records, mean %s %v; want %d with mean %v (the recorded score)", rundir.JournalFile, n, primary, sum/float64(max(n, 1)), samples, score)
	}
}
