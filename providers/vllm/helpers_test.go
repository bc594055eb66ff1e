package vllm

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/config"
)

// helperEnv selects what the test binary does when a test starts it as a model server.
const helperEnv = "EVALPLAN_VLLM_TEST_HELPER"

// TestMain lets the test binary double as the servers the tests start (the os/exec helper
// process pattern): EVALPLAN_VLLM_TEST_HELPER=sim runs evalplan-sim with the arguments,
// ignore-term the same with SIGTERM ignored, fail prints and exits 1, hang never listens.
func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "sim":
		os.Exit(simMain(os.Args[1:], false))
	case "ignore-term":
		os.Exit(simMain(os.Args[1:], true))
	case "fail":
		fmt.Println("INFO loading model weights")
		fmt.Fprintln(os.Stderr, "torch.OutOfMemoryError: CUDA out of memory")
		os.Exit(1)
	case "hang":
		time.Sleep(time.Hour) // never listens; SIGTERM ends it
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

func simMain(args []string, ignoreTerm bool) int {
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("evalplan-sim", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if ignoreTerm {
		stop()
		signal.Ignore(syscall.SIGTERM)
		ctx = context.Background()
	}
	if err := sim.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "evalplan-sim:", err)
		return 1
	}
	return 0
}

// managed is a process-runtime endpoint whose server is this test binary as helper.
func managed(name, helper string, args ...string) *config.Endpoint {
	cmd := append([]string{os.Args[0], "-addr", "127.0.0.1:{port}", "-models", "sim-model"}, args...)
	return &config.Endpoint{
		Name: name, Model: "sim-model", Type: "chat",
		Server: &config.ManagedServer{
			Runtime: "process", Command: cmd,
			Env:          map[string]string{helperEnv: helper},
			StartTimeout: time.Minute,
		},
	}
}

// newProvider is a Provider writing under a fresh directory.
func newProvider(t *testing.T) *Provider {
	t.Helper()
	return &Provider{Dir: t.TempDir(), PollInterval: 20 * time.Millisecond}
}

// getModels fails the test unless url/models answers 200.
func getModels(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url + "/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/models: %s", url, resp.Status)
	}
}
