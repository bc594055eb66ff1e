package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan"
)

func cmdCheck(c *cli, args []string) int {
	var f commonFlags
	fs := newFlagSet(c, "check", "check [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(c.stderr, "Error: check takes no arguments")
		return exitError
	}
	s, code, ok := c.open(&f, append([]string{"check"}, args...))
	if !ok {
		return code
	}
	defer s.release()
	l, st := s.loaded, s.state
	failed := false
	for _, name := range slices.Sorted(maps.Keys(l.cfg.Checks)) {
		r := plan.EvalCheck(l.cfg, st, l.cfg.Checks[name], nil, false)
		if r.Status == plan.CheckPass {
			fmt.Fprintf(c.stdout, "pass  %s\n", r.Address)
			continue
		}
		failed = true
		fmt.Fprintf(c.stdout, "%-5s %s: %s\n", r.Status, r.Address, r.Message)
	}
	if failed {
		return exitCheckFailed
	}
	return exitOK
}
