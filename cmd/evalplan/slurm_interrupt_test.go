package main

import (
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
)

// interruptHCL is one native run of 60 GSM8K samples as a Slurm job, slow enough (the
// simulator answers one request at a time, 150 ms each) to be interrupted mid-run.
const interruptHCL = `variable "url" {
  type = string
}

endpoint "sim" {
  url   = var.url
  model = "sim-model"
}

dataset "gsm8k" {
  source = "data/gsm8k.jsonl"
  sha256 = "4a665a79d70d7d83f14400fdb75f421e201ce1ae8ec94fa87157e5a3feae75aa"
}

executor "slurm" "local" {
  shared_dir    = "shared"
  time_limit    = "00:05:00"
  cpus_per_task = 1
  poll_interval = 0.5
}

suite "quick" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k"]
  executor   = executor.slurm.local

  params {
    limit_samples = 60
    parallelism   = 1
    sample        = "first"
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k
  }
}
`

// TestSlurmInterruptAsks presses Ctrl-C in a terminal (a tmux pane) while apply waits for a
// Slurm job on the real cluster, and answers the question it asks: yes cancels the job
// (it leaves squeue, the run is partial); no leaves it running (still in squeue), and the
// next apply re-attaches to it and completes the run; a second Ctrl-C instead of an answer
// exits at once and leaves the job running, recorded in the state.
func TestSlurmInterruptAsks(t *testing.T) {
	if os.Getenv("EVALPLAN_TEST_SLURM") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_SLURM is not set: run .ci/services.sh first")
		}
		t.Skip("no Slurm cluster: run .ci/services.sh (it exports EVALPLAN_TEST_SLURM=1)")
	}
	tmuxBinary(t)
	bin, err := exec.LookPath("evalplan") // testscript.Main put this test binary there
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "gsm8k_sample.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(t.TempDir(), "gsm8k.jsonl")
	if err := os.WriteFile(dataset, data, 0o644); err != nil {
		t.Fatal(err)
	}
	url := startTestSim(t, "-dataset", dataset, "-accuracy", "1", "-latency", "150ms", "-capacity", "1")

	for _, tc := range []struct {
		name string
		keys []string // the answer
		says string
		gone bool // the job left squeue
		// reattach: the next apply re-attaches to the job and completes the run.
		reattach bool
	}{
		{"yes", []string{"y", "Enter"}, "Cancelling 1 slurm job: its run ends partial", true, false},
		{"no", []string{"n", "Enter"}, "Leaving 1 slurm job running: the next apply re-attaches.", false, true},
		{"ctrl-c again", []string{"C-c"}, "[exit 130]", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, b := range map[string][]byte{"eval.hcl": []byte(interruptHCL), "data/gsm8k.jsonl": data} {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			env := []string{"EVALPLAN_VAR_url=" + url, "GORACE=atexit_sleep_ms=0", "NO_COLOR=1"}
			p := startPane(t, dir, append(append([]string{"env"}, env...), bin, "apply", "-auto-approve", "-no-color")...)
			waitSamples(t, p, filepath.Join(dir, "output/quick/native.gsm8k/sim/*/samples.jsonl"), 3)
			id := stateJob(t, dir)
			if !tc.gone && !tc.reattach {
				// This test's own job; the cleanup waits (up to a minute) for it to leave the
				// queue, since a job still ending writes into the test's directory.
				t.Cleanup(func() { cancelJob(t, id) })
			}

			p.keys("C-c")
			p.waitFor("Cancel 1 running slurm job? [y/N]")
			p.keys(tc.keys...)
			p.waitFor("[exit ")
			screen := p.screen()
			t.Logf("the terminal after answering %v:\n%s", tc.keys, screen)
			if !strings.Contains(screen, tc.says) {
				t.Errorf("after answering %v the screen does not say %q", tc.keys, tc.says)
			}
			out, _ := exec.Command("squeue", "-h", "-j", id, "-o", "%T").CombinedOutput()
			inQueue := regexp.MustCompile(`RUNNING|PENDING`).Match(out)
			if inQueue == tc.gone {
				t.Errorf("squeue -j %s says %q after answering %v; want the job gone: %v", id, out, tc.keys, tc.gone)
			}
			st, err := os.ReadFile(filepath.Join(dir, "evalplan.state.json"))
			if err != nil {
				t.Fatal(err)
			}
			want := `"status": "running"`
			if tc.gone {
				want = `"status": "partial"`
			}
			if !strings.Contains(string(st), want) || !strings.Contains(string(st), `"job": "`+id+`"`) {
				t.Errorf("the state does not record %s with job %s:\n%s", want, id, st)
			}
			if !tc.reattach {
				return
			}
			cmd := exec.Command(bin, "apply", "-auto-approve", "-no-color")
			cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the next apply: %v\n%s", err, b)
			}
			for _, w := range []string{"re-attaching to slurm job " + id, "Runs: 1 complete, 0 partial, 0 failed"} {
				if !strings.Contains(string(b), w) {
					t.Errorf("the next apply does not say %q:\n%s", w, b)
				}
			}
		})
	}
}

// startTestSim serves an in-process simulator, configured by evalplan-sim flags, on
// 127.0.0.1 until the test ends, and returns its base URL.
func startTestSim(t *testing.T, args ...string) string {
	t.Helper()
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
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
	t.Cleanup(func() { s.Close(); srv.Close() })
	return "http://" + ln.Addr().String() + "/v1"
}

// waitSamples polls until a file matching pattern has at least n lines; it fails after a
// generous deadline (other jobs on the shared test cluster may hold its CPUs a while),
// which only a job that never ran reaches.
func waitSamples(t *testing.T, p *tmuxPane, pattern string, n int) {
	t.Helper()
	deadline := time.Now().Add(300 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for maxLines(pattern) < n {
		if time.Now().After(deadline) {
			queue, _ := exec.Command("squeue").CombinedOutput()
			t.Fatalf("%s: fewer than %d lines after 300s; the terminal shows:\n%s\nsqueue:\n%s", pattern, n, p.screen(), queue)
		}
		<-tick.C
	}
}

// stateJob is the one Slurm job id the state in dir records.
func stateJob(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "evalplan.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"job": "([0-9]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("the state records no slurm job:\n%s", b)
	}
	return string(m[1])
}

// cancelJob cancels job id and waits, polling squeue, up to a minute for it to end.
func cancelJob(t *testing.T, id string) {
	t.Helper()
	_ = exec.Command("scancel", id).Run()
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		out, _ := exec.Command("squeue", "-h", "-j", id, "-o", "%T").CombinedOutput()
		if !regexp.MustCompile(`PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|SIGNALING|STOPPED`).Match(out) {
			return
		}
		<-tick.C
	}
	t.Logf("slurm job %s is still in the queue a minute after scancel", id)
}
