package main

import (
	"fmt"
)

func cmdGraph(c *cli, args []string) int {
	var f commonFlags
	fs := newFlagSet(c, "graph", "graph [options]")
	f.registerVars(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(c.stderr, "Error: graph takes no arguments")
		return exitError
	}
	l, ok := c.load(f.vars, c.useColor(f.noColor))
	if !ok {
		return exitError
	}
	st, _, ok := c.openState(l.cfg.Settings.State)
	if !ok {
		return exitError
	}
	g, diags := l.engine.Graph(c.ctx, l.cfg, st)
	if len(diags) > 0 {
		c.printDiags(l.cfg.HCLFiles(), diags, false)
	}
	if diags.HasErrors() {
		return exitError
	}
	fmt.Fprint(c.stdout, g.DOT())
	return exitOK
}
