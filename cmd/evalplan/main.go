// Command evalplan is Terraform for LLM evaluation: it plans and applies benchmark runs
// declared in eval.hcl and records them in a state file.
//
// This package holds only the command line: one file per command, no business logic.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/agext/levenshtein"
	"golang.org/x/term"
)

// version is evalplan's version, set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes (DESIGN §5).
const (
	exitOK          = 0
	exitError       = 1
	exitChanges     = 2
	exitFmtChanges  = 3
	exitCheckFailed = 4
	exitLocked      = 5
	exitInterrupted = 130
)

// cli is what every command gets: streams, the working directory and the environment.
type cli struct {
	ctx       context.Context
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	dir       string // configuration directory (after -chdir)
	environ   []string
	stdinTTY  bool
	stdoutTTY bool
	color     bool
	// interrupts is the signal handling of a real process; nil in tests that build a cli.
	interrupts *interrupts
}

type command struct {
	synopsis string
	run      func(c *cli, args []string) int
}

func commands() map[string]command {
	return map[string]command{
		"validate": {"Check the configuration for errors", cmdValidate},
		"fmt":      {"Rewrite configuration files in the canonical format", cmdFmt},
		"plan":     {"Show what apply would run and why", cmdPlan},
		"apply":    {"Run what changed and record it in state", cmdApply},
		"show":     {"Show the state or a saved plan", cmdShow},
		"state":    {"Inspect and edit the state (list, show, rm)", cmdState},
		"output":   {"Show output values from the state", cmdOutput},
		"graph":    {"Print the dependency graph in DOT", cmdGraph},
		"datasets": {"Dataset cache: status, preload, clear", cmdDatasets},
		"export":   {"Send recorded results to the exporters (MLflow, local files)", cmdExport},
		"mlflow":   {"MLflow tracking server: status, start, stop", cmdMLflow},
		"endpoint": {"Managed model servers (vllm, sglang, nim blocks): list, status, start, stop", cmdEndpoint},
		"catalog":  {"Browse the benchmark catalog (list, search, show, presets, categories)", cmdCatalog},
		"check":    {"Evaluate check blocks against the state", cmdCheck},
		"report":   {"Write a report of every result in the state (md, html, csv, json)", cmdReport},
		"compare":  {"Compare two endpoints' results on the samples both answered", cmdCompare},
		"schema":   {"Print the eval.hcl language schema as JSON", cmdSchema},
		"version":  {"Print evalplan's version", cmdVersion},

		"containers": {"List the container images the configuration needs (present, missing, size)", cmdContainers},
		"runtimes":   {"Python environments of venv runs: list, prepare, clear", cmdRuntimes},
		"status":     {"Check that everything the configuration needs is ready (exit 0 when it is)", cmdStatus},
		"monitor":    {"Watch a running apply from another terminal: progress, rates, ETA, errors", cmdMonitor},
		"init":       {"Write a new eval.hcl: a wizard on a terminal, flags otherwise", cmdInit},
	}
}

func main() {
	os.Exit(run())
}

// run is main without os.Exit, for testscript.
func run() int {
	in := newInterrupts(interruptMessage(os.Args[1:]))
	defer in.stop()
	c := &cli{
		ctx: in.ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ(),
		stdinTTY:   term.IsTerminal(int(os.Stdin.Fd())),
		stdoutTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		interrupts: in,
	}
	c.color = c.stdoutTTY && os.Getenv("NO_COLOR") == ""
	return c.main(os.Args[1:])
}

// interruptMessage is what the first Ctrl-C prints for the command in args.
func interruptMessage(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if a == "apply" {
			return "\nInterrupt received: stopping gracefully (finished samples are kept). Press Ctrl-C again to exit at once."
		}
		break
	}
	return "\nInterrupt received: stopping. Press Ctrl-C again to exit at once."
}

// interrupts cancels the command's context on the first SIGINT, SIGTERM or SIGHUP (a
// closed terminal), printing msg; a second one exits at once. A command may set a question
// that the first Ctrl-C asks instead (apply with cluster jobs in flight): the context ends
// once it is answered, and a Ctrl-C while it waits for the answer exits at once.
type interrupts struct {
	ctx    context.Context
	cancel context.CancelFunc
	msg    string
	ch     chan os.Signal
	mu     sync.Mutex
	ask    func(msg string)
}

func newInterrupts(msg string) *interrupts {
	in := &interrupts{msg: msg, ch: make(chan os.Signal, 2)}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go in.loop()
	return in
}

func (in *interrupts) loop() {
	n := 0
	for sig := range in.ch {
		n++
		if n > 1 {
			os.Exit(exitInterrupted)
		}
		if ask := in.question(); ask != nil && sig == os.Interrupt {
			go func() {
				ask(in.msg)
				in.cancel()
			}()
			continue
		}
		fmt.Fprintln(os.Stderr, in.msg)
		in.cancel()
	}
}

// setAsk makes the first Ctrl-C call ask (with the usual message, for when it has nothing
// to ask) rather than stop at once; nil restores that.
func (in *interrupts) setAsk(ask func(msg string)) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ask = ask
}

func (in *interrupts) question() func(string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ask
}

func (in *interrupts) stop() {
	signal.Stop(in.ch)
	in.cancel()
}

func (c *cli) main(args []string) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	c.dir = wd
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := strings.TrimPrefix(strings.TrimPrefix(args[0], "-"), "-")
		switch {
		case strings.HasPrefix(a, "chdir="):
			dir := strings.TrimPrefix(a, "chdir=")
			if !isAbs(dir) {
				dir = wd + "/" + dir
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				fmt.Fprintf(c.stderr, "Error: -chdir=%s: not a directory\n", strings.TrimPrefix(a, "chdir="))
				return exitError
			}
			c.dir = dir
		case a == "help" || a == "h":
			c.usage(c.stdout)
			return exitOK
		case a == "version" || a == "v":
			return cmdVersion(c, nil)
		default:
			fmt.Fprintf(c.stderr, "Error: unknown global flag %s; global flags are -chdir=DIR, -help and -version\n", args[0])
			return exitError
		}
		args = args[1:]
	}
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitError
	}
	if args[0] == "__run-job" { // hidden: what a cluster job runs on its node
		return cmdRunJob(c, args[1:])
	}
	if args[0] == "__serve-job" { // hidden: what a managed endpoint's server job runs on its node
		return cmdServeJob(c, args[1:])
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "Error: unknown command %q%s\n\n", args[0], suggestCommand(args[0]))
		c.usage(c.stderr)
		return exitError
	}
	return cmd.run(c, args[1:])
}

func isAbs(p string) bool { return strings.HasPrefix(p, "/") }

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: evalplan [-chdir=DIR] COMMAND [options] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].synopsis)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'evalplan COMMAND -help' for a command's options.")
}

func suggestCommand(name string) string {
	best, bestD := "", 3
	for n := range commands() {
		if d := levenshtein.Distance(name, n, nil); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}
