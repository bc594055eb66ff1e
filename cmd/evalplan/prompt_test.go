package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
)

// promptConfig declares a required url and a required sensitive api_key, as plan.txtar's
// configuration does with the simulator.
const promptConfig = `variable "url" {
  type        = string
  description = "The simulator's base URL"
}

variable "api_key" {
  type      = string
  sensitive = true
}

endpoint "sim" {
  url     = var.url
  model   = "sim-model"
  api_key = var.api_key
}

dataset "gsm8k" {
  source = "data/gsm8k.jsonl"
}

suite "quick" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k"]

  params {
    limit_samples = 4
    sample        = "first"
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k
  }
}
`

// TestPlanPromptsForVariables runs plan in a pseudo-terminal (a tmux pane) with two required
// variables unset: each is asked for as Terraform asks (var.NAME, its description, "Enter a
// value:"), the sensitive one without echo, and the plan uses the answers.
func TestPlanPromptsForVariables(t *testing.T) {
	bin, err := exec.LookPath("evalplan") // testscript.Main put this test binary there
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gsm8k, err := os.ReadFile(filepath.Join("testdata", "gsm8k_sample.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"eval.hcl": []byte(promptConfig), "data/gsm8k.jsonl": gsm8k} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url := startSim(t, filepath.Join(dir, "data", "gsm8k.jsonl"))

	p := startPane(t, dir, "env", "GORACE=atexit_sleep_ms=0", "NO_COLOR=1", bin, "plan")
	p.waitFor("Enter a value:")
	if s := p.screen(); !strings.Contains(s, "var.api_key") || strings.Contains(s, "var.url") {
		t.Fatalf("the first question is not var.api_key (variables are asked in name order):\n%s", s)
	}
	p.typeText("s3cret-key")
	p.keys("Enter")
	p.waitFor("The simulator's base URL")
	p.waitFor("var.url")
	p.typeText(url)
	p.keys("Enter")
	p.waitFor("[exit ")
	s := p.screen()
	if !strings.Contains(s, "Plan: 1 to run") || !strings.Contains(s, "[exit 0]") {
		t.Errorf("plan with the answers did not plan one run:\n%s", s)
	}
	if strings.Contains(s, "s3cret-key") {
		t.Errorf("the sensitive answer was echoed:\n%s", s)
	}
}

// startSim serves the simulator with dataset on a local port and returns its base URL.
func startSim(t *testing.T, dataset string) string {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Datasets = []string{dataset}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/v1"
}
