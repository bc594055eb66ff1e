package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	bcontainer "github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/providers/vllm"
	"github.com/evalplan/evalplan/schema"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// loaded is a validated configuration and the engine wired with the built-in providers.
type loaded struct {
	cfg     *config.Config
	catalog *schema.Catalog
	engine  *plan.Engine
}

// load reads and validates the configuration in c.dir with f's variables, printing
// diagnostics; with -input (f.input) on a terminal it asks for required variables that
// have no value.
func (c *cli) load(f *commonFlags) (*loaded, bool) {
	color := c.useColor(f.noColor)
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error: load the benchmark catalog:", err)
		return nil, false
	}
	opts := config.LoadOptions{Vars: f.vars, Environ: c.environ, Catalog: cat}
	if f.input && c.stdinTTY {
		opts.Prompt = c.promptVariable
	}
	cfg, diags := config.Load(c.dir, opts)
	if len(diags) > 0 {
		var files map[string]*hcl.File
		if cfg != nil {
			files = cfg.HCLFiles()
		}
		c.printDiags(files, diags, color)
	}
	if diags.HasErrors() || cfg == nil {
		return nil, false
	}
	return &loaded{cfg: cfg, catalog: cat, engine: c.engine(cfg, cat)}, true
}

// engine wires the built-in providers into the engine.
func (c *cli) engine(cfg *config.Config, cat *schema.Catalog) *plan.Engine {
	// One native runner: its request stacks (response cache, limiter per endpoint) serve
	// container runs too, through their local endpoints.
	nr := &native.Runner{Limiters: &openai.Limiters{}}
	return &plan.Engine{
		Catalog:   cat,
		Endpoints: &endpoint.Provider{},
		Datasets:  &dataset.Provider{Dir: cfg.Dir},
		Runners: plan.Registry{
			schema.NativeHarness: nr,
			plan.AnyHarness:      &bcontainer.Runner{Config: cfg, Environ: c.environ, Requests: nr.Requests},
		},
		Services:  &vllm.Provider{Dir: cfg.Settings.OutputDir, WorkDir: cfg.Dir, GPUs: cfg.GPUs, Environ: c.environ, OnPressure: nr.OnPressure},
		Exporters: c.exporters(cfg),
		Executor:  executorsFor(cfg, c.environ),
		Version:   version,
		Log:       c.logger(),
	}
}

// logger is configured by EVALPLAN_LOG (off, error, warn, info, debug, trace) and
// EVALPLAN_LOG_PATH (a file to append to; default standard error).
func (c *cli) logger() hclog.Logger {
	env := environMap(c.environ)
	level := hclog.LevelFromString(env["EVALPLAN_LOG"])
	if level == hclog.NoLevel {
		return hclog.NewNullLogger()
	}
	out := c.stderr
	if path := env["EVALPLAN_LOG_PATH"]; path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(c.stderr, "Warning: EVALPLAN_LOG_PATH: %v; logging to standard error\n", err)
		} else {
			out = f
		}
	}
	return hclog.New(&hclog.LoggerOptions{Name: "evalplan", Level: level, Output: out})
}

func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func (c *cli) printDiags(files map[string]*hcl.File, diags hcl.Diagnostics, color bool) {
	width := uint(100)
	if c.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 20 {
			width = uint(w)
		}
	}
	if err := config.WriteDiagnostics(c.stderr, files, diags, width, color); err != nil {
		fmt.Fprintln(c.stderr, diags.Error())
	}
}

// readState loads the state file; a missing one is a new, empty state (exists false).
func (c *cli) readState(path string) (*state.File, bool, error) {
	f, err := state.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state.New(version), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return f, true, nil
}

// openState is readState for a command: it prints a read error and reports ok false.
func (c *cli) openState(path string) (st *state.File, exists, ok bool) {
	st, exists, err := c.readState(path)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return nil, false, false
	}
	return st, exists, true
}

// lockState takes the state lock for a command, printing the holder when it is busy.
func (c *cli) lockState(path, command string, f *commonFlags) (*state.Lock, int, bool) {
	if !f.lock {
		return nil, exitOK, true
	}
	l, err := state.Acquire(c.ctx, path, state.CurrentHolder(command), f.lockTimeout)
	if err != nil {
		var le *state.LockedError
		if errors.As(err, &le) {
			fmt.Fprintln(c.stderr, "Error:", err)
			return nil, exitLocked, false
		}
		fmt.Fprintln(c.stderr, "Error: lock the state:", err)
		return nil, exitError, false
	}
	return l, exitOK, true
}

func (c *cli) useColor(noColor bool) bool { return c.color && !noColor }

func commandLine(args []string) string {
	return strings.Join(append([]string{"evalplan"}, args...), " ")
}

// close releases what the engine's providers hold open (response caches).
func (l *loaded) close(ctx context.Context) error {
	var errs []error
	for _, r := range l.engine.Runners.Runners() {
		if c, ok := r.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	if c, ok := l.engine.Executor.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	// Exporters may stop what they started (a managed MLflow server with keep_running = false).
	type ctxCloser interface{ Close(context.Context) error }
	for _, x := range l.engine.Exporters {
		if c, ok := x.(ctxCloser); ok {
			errs = append(errs, c.Close(context.WithoutCancel(ctx)))
		}
	}
	return errors.Join(errs...)
}
