package main

import (
	"fmt"
)

func cmdGraph(c *cli, args []string) int {
	var f commonFlags
	fs := newFlagSet(c, "graph", "graph [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(c.stderr, "Error: graph takes no arguments")
		return exitError
	}
	s, code, ok := c.open(&f, append([]string{"graph"}, args...))
	if !ok {
		return code
	}
	defer s.release()
	l, st := s.loaded, s.state
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
