package vllm

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
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
// ignore-term the same with SIGTERM ignored, sglang stands in for `python3 -m
// sglang.launch_server` (see sglangMain), fail prints and exits 1, hang never listens.
func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "sim":
		os.Exit(simMain(os.Args[1:], false))
	case "ignore-term":
		os.Exit(simMain(os.Args[1:], true))
	case "sglang":
		os.Exit(sglangMain(os.Args[1:]))
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

// sglangMain reads SGLang's server arguments (after "-m sglang.launch_server", which it
// requires) and serves them with evalplan-sim in its SGLang flavor: --model-path is the model,
// --host and --port the address, --context-length the context, --max-running-requests the
// KV-cache model's size; the sglang: metrics are served only with --enable-metrics.
func sglangMain(args []string) int {
	if len(args) < 2 || args[0] != "-m" || args[1] != "sglang.launch_server" {
		fmt.Fprintf(os.Stderr, "not an SGLang server line: %q\n", args)
		return 2
	}
	cfg := sim.DefaultConfig()
	cfg.Flavor = sim.FlavorSGLang
	host, port, metrics := "127.0.0.1", "30000", false
	for i := 2; i < len(args); i++ {
		val := ""
		if i+1 < len(args) {
			val = args[i+1]
		}
		switch args[i] {
		case "--model-path":
			cfg.Models = []string{val}
		case "--host":
			host = val
		case "--port":
			port = val
		case "--context-length":
			fmt.Sscan(val, &cfg.MaxModelLen)
		case "--max-running-requests":
			fmt.Sscan(val, &cfg.KVCache)
		case "--enable-metrics":
			metrics = true
			continue
		default:
			if !strings.HasPrefix(val, "--") {
				i++ // a flag with a value evalplan-sim does not model
			}
			continue
		}
		i++
	}
	if !metrics {
		cfg.KVCache = 0
	}
	cfg.Addr = host + ":" + port
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sim.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sglang stand-in:", err)
		return 1
	}
	return 0
}

// fakePython puts a python3 first on PATH that runs this test binary as the SGLang
// stand-in (sglangMain), so that the sglang block's own server line is what starts.
func fakePython(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\nEVALPLAN_VLLM_TEST_HELPER=sglang exec '" + os.Args[0] + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "python3"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
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
