package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

func cmdOutput(c *cli, args []string) int {
	var asJSON bool
	fs := newFlagSet(c, "output", "output [-json] [NAME]")
	fs.BoolVar(&asJSON, "json", false, "print JSON (sensitive outputs are never stored in the state: their value is null)")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(c.stderr, "Error: output takes at most one NAME")
		return exitError
	}
	s, code, ok := c.open(&commonFlags{}, append([]string{"output"}, args...), stateOnly())
	if !ok {
		return code
	}
	defer s.release()
	st := s.state
	if len(pos) == 1 {
		o, found := st.Outputs[pos[0]]
		if !found {
			fmt.Fprintf(c.stderr, "Error: no output %q in the state; outputs are recorded by apply\n", pos[0])
			return exitError
		}
		if asJSON {
			b, _ := json.Marshal(o.Value)
			fmt.Fprintln(c.stdout, string(b))
			return exitOK
		}
		fmt.Fprintln(c.stdout, renderOutput(o))
		return exitOK
	}
	if asJSON {
		b, err := json.MarshalIndent(st.Outputs, "", "  ")
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		fmt.Fprintln(c.stdout, string(b))
		return exitOK
	}
	for _, name := range slices.Sorted(maps.Keys(st.Outputs)) {
		fmt.Fprintf(c.stdout, "%s = %s\n", name, renderOutput(st.Outputs[name]))
	}
	return exitOK
}
