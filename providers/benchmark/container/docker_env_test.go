package container_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/google/go-cmp/cmp"
)

// TestRunnerPassesEnvAndCache: env, env_from_host and the judge key reach the container
// through the Docker API only (never run_config.yml or container.log), and hf_cache is
// mounted writable as HF_HOME.
func TestRunnerPassesEnvAndCache(t *testing.T) {
	f := newFixture(t)
	_, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	names := []any{"GREETING", "SECRET_TOKEN", "HOST_TOKEN", container.APIKeyVar, container.JudgeKeyVar, "HF_HOME"}
	sp, cfg := spec(t, url, ref, config.Params{LimitSamples: ptr(1.0), Extra: map[string]any{"echo_env": names}})
	sp.Judge = &config.Endpoint{Name: "judge", Model: "judge-model", URL: url, APIKey: "judge-key-123"}
	hf := filepath.Join(t.TempDir(), "hf")
	cfg.Settings.HFCache = hf
	cfg.Suites["s"].Env = map[string]string{"GREETING": "hello", "SECRET_TOKEN": "env-secret-456"}
	cfg.Suites["s"].Overrides["fake.gpqa_diamond"].FromHost = []string{"HOST_TOKEN"}
	r := &container.Runner{Docker: f.docker, Config: cfg, Environ: append(os.Environ(), "HOST_TOKEN=host-secret-789")}
	out, err := r.Run(context.Background(), sp, &logs{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != state.StatusComplete {
		t.Fatalf("status %s: %s", out.Status, out.Error)
	}
	b, err := os.ReadFile(filepath.Join(sp.RunDir, "seen.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seen struct {
		Env      map[string]string `json:"env"`
		Writable bool              `json:"hf_home_writable"`
	}
	if err := json.Unmarshal(b, &seen); err != nil {
		t.Fatal(err)
	}
	// seen.json is what the stand-in wrote, scrubbed afterwards like everything the evaluator
	// writes: the token, host variables and the judge's key read [redacted]. The API key is
	// the run's token for evalplan's local endpoint, never the endpoint's real key (which no
	// scrub would hide). Plain env values are not scrubbed from files.
	want := map[string]string{"GREETING": "hello", "SECRET_TOKEN": "env-secret-456", "HOST_TOKEN": "[redacted]",
		container.APIKeyVar: "[redacted]", container.JudgeKeyVar: "[redacted]", "HF_HOME": container.HFHome}
	for _, real := range []string{"test-key", "judge-key-123"} {
		if strings.Contains(string(b), real) {
			t.Errorf("the container saw a real key (%s): %s", real, b)
		}
	}
	if diff := cmp.Diff(want, seen.Env); diff != "" {
		t.Errorf("the container's environment (-want +got):\n%s", diff)
	}
	if !seen.Writable {
		t.Error("HF_HOME is not writable in the container")
	}
	if _, err := os.Stat(filepath.Join(hf, "evalplan-test.txt")); err != nil {
		t.Errorf("the dataset cache is not the host's hf_cache: %v", err)
	}
	for _, name := range []string{rundir.ContainerConfigFile, rundir.ContainerLogFile} {
		b, err := os.ReadFile(filepath.Join(sp.RunDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"env-secret-456", "host-secret-789", "judge-key-123", "test-key"} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s shows %q", name, s)
			}
		}
	}
}
