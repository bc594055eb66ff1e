package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/rogpeppe/go-internal/testscript"
)

// update rewrites the golden files of failing `cmp stdout FILE` lines inside the scripts:
//
//	go test ./cmd/evalplan -run TestScripts -update
var update = flag.Bool("update", false, "rewrite golden output in testdata/script/*.txtar from what the commands print")

// TestMain makes the test binary double as the evalplan and evalplan-sim commands, which
// the scripts run with exec.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"evalplan":     func() { os.Exit(runProfiled()) },
		"evalplan-sim": func() { os.Exit(simMain(os.Args[1:])) },
	})
}

// simMain is evalplan-sim's main for the scripts.
func simMain(args []string) int {
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("evalplan-sim", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sim.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "evalplan-sim:", err)
		return 1
	}
	return 0
}

// TestScripts runs every testdata/script/*.txtar: the CLI's behaviour, pinned.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script"))
}

// scriptParams are the testscript parameters of the scripts in dir.
func scriptParams(t *testing.T, dir string) testscript.Params {
	fixtures, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	return testscript.Params{
		Dir:                 dir,
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// GSM8K: 60 real GSM8K test problems (MIT; see testdata/gsm8k_LICENSE.txt).
			env.Setenv("GSM8K", filepath.Join(fixtures, "gsm8k_sample.jsonl"))
			env.Setenv("NO_COLOR", "1")
			// EXAMPLES: the repository's examples/, for scripts that run one as a user would.
			env.Setenv("EXAMPLES", examples)
			// A -race binary sleeps a second at exit by default; the scripts run hundreds.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			env.Values[simKey{}] = &simHolder{}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "nvml" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			// [nvml]: this machine has an NVIDIA driver, so GPU memory can be read.
			s, err := gpu.OpenNVML()
			if err != nil {
				return false, nil
			}
			return true, s.Close()
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sim":      cmdSim,
			"simstop":  cmdSimStop,
			"simcount": cmdSimCount,
			"waitfile": cmdWaitFile,
			"exitcode": cmdExitCode,
			"jsonget":  cmdJSONGet,
			"replace":  cmdReplace,
		},
	}
}

type simKey struct{}

// simHolder is the simulator a script started, if any.
type simHolder struct {
	s   *sim.Server
	srv *http.Server
}

func holder(ts *testscript.TestScript) *simHolder { return ts.Value(simKey{}).(*simHolder) }

// cmdSim starts an in-process simulator for the rest of the script:
//
//	sim [evalplan-sim flags]
//
// It sets SIM_URL (the base URL, ending in /v1) and EVALPLAN_VAR_url to it. Relative
// -dataset paths are resolved in the script's directory.
func cmdSim(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sim")
	}
	h := holder(ts)
	if h.s != nil {
		ts.Fatalf("sim: a simulator is already running; simstop it first")
	}
	cfg := sim.DefaultConfig()
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	ts.Check(fs.Parse(args))
	if fs.NArg() > 0 {
		ts.Fatalf("sim: unexpected arguments %q", fs.Args())
	}
	for i, d := range cfg.Datasets {
		cfg.Datasets[i] = ts.MkAbs(d)
	}
	s, err := sim.New(cfg)
	ts.Check(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	h.s, h.srv = s, srv
	ts.Defer(func() { stopSim(h) })
	url := "http://" + ln.Addr().String() + "/v1"
	ts.Setenv("SIM_URL", url)
	ts.Setenv("EVALPLAN_VAR_url", url)
}

// stopSim releases hung requests and closes the server and its connections.
func stopSim(h *simHolder) {
	if h.s == nil {
		return
	}
	h.s.Close()
	h.srv.Close()
	h.s, h.srv = nil, nil
}

// cmdSimStop stops the simulator; SIM_URL keeps pointing at its (now closed) port.
func cmdSimStop(ts *testscript.TestScript, neg bool, args []string) {
	h := holder(ts)
	if neg || len(args) > 0 || h.s == nil {
		ts.Fatalf("usage: simstop (after sim)")
	}
	stopSim(h)
}

// cmdSimCount asserts how many requests the simulator answered on a route:
//
//	simcount ROUTE N      exactly N
//	simcount ROUTE <=N    at most N
//	simcount ROUTE >=N    at least N
func cmdSimCount(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: simcount ROUTE [<=|>=]N")
	}
	h := holder(ts)
	if h.s == nil {
		ts.Fatalf("simcount: no simulator is running")
	}
	op, num := "==", args[1]
	for _, p := range []string{"<=", ">="} {
		if rest, ok := strings.CutPrefix(num, p); ok {
			op, num = p, rest
		}
	}
	want, err := strconv.ParseInt(num, 10, 64)
	ts.Check(err)
	got := h.s.Count(args[0])
	ok := map[string]bool{"==": got == want, "<=": got <= want, ">=": got >= want}[op]
	if ok == neg {
		ts.Fatalf("simcount %s: %d requests, want %s %d", args[0], got, op, want)
	}
	ts.Logf("simcount %s: %d", args[0], got)
}

// cmdWaitFile waits until a file matching the glob FILE has at least MINLINES lines, or
// fails after TIMEOUT (default 30s):
//
//	waitfile FILE MINLINES [TIMEOUT]
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitfile FILE MINLINES [TIMEOUT]")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	timeout := 30 * time.Second
	if len(args) == 3 {
		timeout, err = time.ParseDuration(args[2])
		ts.Check(err)
	}
	pattern := ts.MkAbs(args[0])
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if n := maxLines(pattern); n >= want {
			ts.Logf("waitfile %s: %d lines", args[0], n)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile %s: fewer than %d lines after %s (%d)", args[0], want, timeout, maxLines(pattern))
		}
		<-tick.C
	}
}

// maxLines is the most complete lines in any file matching pattern.
func maxLines(pattern string) int {
	files, _ := filepath.Glob(pattern)
	best := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		best = max(best, bytes.Count(b, []byte("\n")))
	}
	return best
}

// cmdExitCode runs a program, as exec does, and asserts its exact exit status:
//
//	exitcode N PROGRAM [ARGS...]
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdJSONGet prints a field of a JSON file (a dot-separated path of object keys) to stdout,
// or sets an environment variable to it:
//
//	jsonget FILE PATH [ENVVAR]
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: jsonget FILE PATH [ENVVAR]")
	}
	var v any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &v))
	for _, k := range strings.Split(args[1], ".") {
		m, ok := v.(map[string]any)
		if !ok {
			ts.Fatalf("jsonget: %s: %q is not inside an object", args[1], k)
		}
		if v, ok = m[k]; !ok {
			ts.Fatalf("jsonget: %s: no key %q", args[1], k)
		}
	}
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		ts.Check(err)
		s = string(b)
	}
	if len(args) == 3 {
		ts.Setenv(args[2], s)
		return
	}
	fmt.Fprintln(ts.Stdout(), s)
}

// cmdReplace replaces every occurrence of OLD with NEW in FILE, as a hand edit would, and
// fails when FILE has no OLD:
//
//	replace FILE OLD NEW
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	s := ts.ReadFile(args[0])
	if !strings.Contains(s, args[1]) {
		ts.Fatalf("replace: %s has no %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.ReplaceAll(s, args[1], args[2])), 0o644))
}
