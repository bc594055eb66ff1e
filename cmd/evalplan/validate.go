package main

import (
	"fmt"

	"github.com/evalplan/evalplan/plan/state"
)

func cmdValidate(c *cli, args []string) int {
	var f commonFlags
	fs := newFlagSet(c, "validate", "validate [options]")
	f.registerVars(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(c.stderr, "Error: validate takes no arguments")
		return exitError
	}
	color := c.useColor(f.noColor)
	s, code, ok := c.open(&f, append([]string{"validate"}, args...), configOnly())
	if !ok {
		return code
	}
	l := s.loaded
	// The suite matrix (benchmark/endpoint compatibility) is checked offline, as plan
	// -refresh=false would, against an empty state.
	_, diags := l.engine.Graph(c.ctx, l.cfg, state.New(version))
	diags = append(diags, c.checkRecordFields(l)...)
	if len(diags) > 0 {
		c.printDiags(l.cfg.HCLFiles(), diags, color)
	}
	if diags.HasErrors() {
		return exitError
	}
	fmt.Fprintln(c.stdout, "Success! The configuration is valid.")
	return exitOK
}
