package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/report"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
	"github.com/hashicorp/hcl/v2"
)

func cmdReport(c *cli, args []string) int {
	var format, out string
	var vars commonFlags
	fs := newFlagSet(c, "report", "report [-format html|md|csv|json] [-o FILE]")
	vars.registerVars(fs)
	fs.StringVar(&format, "format", "md", "output format: html, md, csv or json")
	fs.StringVar(&out, "o", "", "write the report to `FILE` instead of standard output")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	write, known := report.Formats()[format]
	switch {
	case len(pos) > 0:
		fmt.Fprintln(c.stderr, "Error: report takes no arguments")
		return exitError
	case !known:
		fmt.Fprintf(c.stderr, "Error: unknown -format %q; use html, md, csv or json\n", format)
		return exitError
	}
	cfg, st, ok := c.stateForReading(vars.vars)
	if !ok {
		return exitError
	}
	doc := report.Build(cfg, st, rel(c.dir, cfg.Settings.State), time.Now().UTC())
	if out == "" {
		if err := write(c.stdout, doc); err != nil {
			fmt.Fprintln(c.stderr, "Error: write the report:", err)
			return exitError
		}
		return exitOK
	}
	var buf bytes.Buffer
	if err := write(&buf, doc); err != nil {
		fmt.Fprintln(c.stderr, "Error: write the report:", err)
		return exitError
	}
	target := outputTarget{Flag: "-o", Path: c.abs(out), State: cfg.Settings.State, Vars: vars.vars}
	if err := target.write(c, buf.Bytes()); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "Report written to %s\n", out)
	return exitOK
}

// stateForReading loads the configuration, for the state's path, the suites' endpoint
// order and the directory run directories are relative to, and reads the state. When the
// configuration does not load (a required variable is unset, say), it falls back to the
// default state file in the configuration directory, so reports and comparisons work from
// state alone; only when that is missing too are the configuration's errors shown.
func (c *cli) stateForReading(vars []config.VarArg) (*config.Config, *state.File, bool) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error: load the benchmark catalog:", err)
		return nil, nil, false
	}
	cfg, diags := config.Load(c.dir, config.LoadOptions{Vars: vars, Environ: c.environ, Catalog: cat})
	if diags.HasErrors() || cfg == nil {
		fallback := &config.Config{Dir: c.dir}
		fallback.Settings.State = filepath.Join(c.dir, defaultStateFile)
		if _, err := os.Stat(fallback.Settings.State); err != nil {
			var files map[string]*hcl.File
			if cfg != nil {
				files = cfg.HCLFiles()
			}
			c.printDiags(files, diags, false)
			return nil, nil, false
		}
		cfg = fallback
	}
	st, _, ok := c.openState(cfg.Settings.State)
	if !ok {
		return nil, nil, false
	}
	if err := plan.CheckRunDirs(cfg, st); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return nil, nil, false
	}
	return cfg, st, true
}

// defaultStateFile is the state file's name when the evalplan block does not set one.
const defaultStateFile = "evalplan.state.json"
