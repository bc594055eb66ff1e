package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/dataset"
	"github.com/evalplan/evalplan/providers/endpoint"
	"github.com/evalplan/evalplan/schema"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// loaded is a validated configuration and the engine wired with the built-in providers.
type loaded struct {
	cfg     *config.Config
	catalog *schema.Catalog
	engine  *plan.Engine
}

// load reads and validates the configuration in c.dir, printing diagnostics.
func (c *cli) load(vars []config.VarArg, color bool) (*loaded, bool) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error: load the benchmark catalog:", err)
		return nil, false
	}
	cfg, diags := config.Load(c.dir, config.LoadOptions{Vars: vars, Environ: c.environ, Catalog: cat})
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
	return &plan.Engine{
		Catalog:   cat,
		Endpoints: &endpoint.Provider{},
		Datasets:  &dataset.Provider{Dir: cfg.Dir},
		Runners: map[string]plan.Runner{
			"native": &native.Runner{},
		},
		Version: version,
	}
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
