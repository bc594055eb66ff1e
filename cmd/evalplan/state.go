package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/state"
)

func cmdState(c *cli, args []string) int {
	const usage = "Usage: evalplan state list | show ADDRESS | rm ADDRESS...\n\nlist [ADDRESS...]: the addresses recorded in the state\nshow: one recorded entry as JSON\nrm: forget recorded entries (their run directories are kept)"
	if len(args) == 0 || isHelp(args[0]) {
		return c.subcommandUsage(args, usage)
	}
	switch args[0] {
	case "list":
		return stateList(c, args[1:])
	case "show":
		return stateShow(c, args[1:])
	case "rm":
		return stateRm(c, args[1:])
	}
	fmt.Fprintf(c.stderr, "Error: unknown state subcommand %q; use list, show or rm\n", args[0])
	return exitError
}

func stateList(c *cli, args []string) int {
	fs := newFlagSet(c, "state list", "state list [ADDRESS...]")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	s, code, ok := c.open(&commonFlags{}, append([]string{"state", "list"}, args...), stateOnly())
	if !ok {
		return code
	}
	defer s.release()
	for _, addr := range slices.Sorted(maps.Keys(s.state.Resources)) {
		if matchAny(pos, addr) {
			fmt.Fprintln(c.stdout, addr)
		}
	}
	return exitOK
}

func matchAny(patterns []string, addr string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if addrs.MatchString(p, addr) {
			return true
		}
	}
	return false
}

func stateShow(c *cli, args []string) int {
	var asJSON bool
	fs := newFlagSet(c, "state show", "state show [-json] ADDRESS")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(c.stderr, "Error: state show takes exactly one ADDRESS; see 'evalplan state list'")
		return exitError
	}
	s, code, ok := c.open(&commonFlags{}, append([]string{"state", "show"}, args...), stateOnly())
	if !ok {
		return code
	}
	defer s.release()
	addr, r := findResource(s.state, pos[0])
	if r == nil {
		fmt.Fprintf(c.stderr, "Error: no resource %s in the state; see 'evalplan state list'\n", pos[0])
		return exitError
	}
	if asJSON {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		fmt.Fprintln(c.stdout, string(b))
		return exitOK
	}
	showResource(c, addr, r)
	return exitOK
}

// findResource looks up one address, written as state list prints it or, as -target
// accepts, without quotes around its keys (suite.quick.run[native.gsm8k][qwen]).
func findResource(st *state.File, pattern string) (string, *state.Resource) {
	if r := st.Resources[pattern]; r != nil {
		return pattern, r
	}
	// Quoting keys changes neither their number nor what encloses what, so the one match
	// with as many keys as the pattern is the address itself.
	var found string
	n := 0
	for addr := range st.Resources {
		if addrs.MatchString(pattern, addr) && strings.Count(addr, "[") == strings.Count(pattern, "[") {
			found = addr
			n++
		}
	}
	if n != 1 {
		return "", nil
	}
	return found, st.Resources[found]
}

func stateRm(c *cli, args []string) int {
	var f commonFlags
	fs := newFlagSet(c, "state rm", "state rm ADDRESS...")
	f.registerLock(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintln(c.stderr, "Error: state rm needs at least one ADDRESS")
		return exitError
	}
	s, code, ok := c.open(&f, append([]string{"state", "rm"}, args...), stateOnly())
	if !ok {
		return code
	}
	defer s.release()
	path, st, exists := s.path, s.state, s.exists
	var removed []string
	for _, addr := range slices.Sorted(maps.Keys(st.Resources)) {
		if matchAny(pos, addr) {
			removed = append(removed, addr)
		}
	}
	if !exists || len(removed) == 0 {
		fmt.Fprintf(c.stderr, "Error: no resource matches %q; see 'evalplan state list'\n", pos)
		return exitError
	}
	store := state.NewStore(path, st)
	if err := store.Update(func(f *state.File) {
		for _, a := range removed {
			delete(f.Resources, a)
		}
	}); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	for _, a := range removed {
		fmt.Fprintf(c.stdout, "Removed %s\n", a)
	}
	fmt.Fprintf(c.stdout, "Removed %d resource(s) from the state; their run directories are kept.\n", len(removed))
	return exitOK
}
