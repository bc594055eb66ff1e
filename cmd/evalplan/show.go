package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/schema"
)

func cmdShow(c *cli, args []string) int {
	var asJSON, noColor bool
	fs := newFlagSet(c, "show", "show [-json] [PLANFILE]")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.BoolVar(&noColor, "no-color", false, "disable colour")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(c.stderr, "Error: show takes at most one PLANFILE, got %q\n", pos)
		return exitError
	}
	if len(pos) == 1 {
		p, err := plan.ReadPlan(c.abs(pos[0]))
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		if asJSON {
			b, err := plan.MarshalPlan(p)
			if err != nil {
				fmt.Fprintln(c.stderr, "Error:", err)
				return exitError
			}
			c.stdout.Write(b)
			return exitOK
		}
		plan.Render(c.stdout, p, c.useColor(noColor))
		return exitOK
	}
	s, code, ok := c.open(&commonFlags{}, append([]string{"show"}, args...), stateOnly())
	if !ok {
		return code
	}
	defer s.release()
	st, exists := s.state, s.exists
	if asJSON {
		if !exists {
			fmt.Fprintln(c.stdout, "{}")
			return exitOK
		}
		b, err := state.Marshal(st)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		c.stdout.Write(b)
		return exitOK
	}
	if !exists || len(st.Resources) == 0 {
		fmt.Fprintln(c.stdout, "The state is empty: nothing has been applied yet.")
		return exitOK
	}
	for i, addr := range slices.Sorted(maps.Keys(st.Resources)) {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		showResource(c, addr, st.Resources[addr])
	}
	printOutputs(c, st, false)
	return exitOK
}

func showResource(c *cli, addr string, r *state.Resource) {
	fmt.Fprintf(c.stdout, "# %s:\n", addr)
	fmt.Fprintf(c.stdout, "  type     = %s\n", r.Type)
	if r.Status != "" {
		fmt.Fprintf(c.stdout, "  status   = %s\n", r.Status)
	}
	fmt.Fprintf(c.stdout, "  identity = %s\n", r.Identity)
	if r.RunDir != "" {
		fmt.Fprintf(c.stdout, "  run_dir  = %s\n", r.RunDir)
	}
	switch {
	case r.Result != nil && !r.Result.Scored():
		fmt.Fprintf(c.stdout, "  score    = no result (no sample scored, errors=%d)\n", r.Result.Errors)
	case r.Result != nil:
		fmt.Fprintf(c.stdout, "  score    = %s (%s, %s, errors=%d)\n", formatScore(r.Result.Score, r.Result.Metrics[r.Result.Primary].Stderr), r.Result.Primary, r.Result.NText(), r.Result.Errors)
		for _, m := range slices.Sorted(maps.Keys(r.Result.Metrics)) {
			fmt.Fprintf(c.stdout, "    %s = %s\n", m, formatScore(r.Result.Metrics[m].Value, r.Result.Metrics[m].Stderr))
		}
	}
	if r.Error != "" {
		fmt.Fprintf(c.stdout, "  error    = %s\n", r.Error)
	}
}

func formatScore(v float64, stderr *float64) string {
	if stderr == nil {
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.4f ± %.4f", v, *stderr)
}

func renderOutput(o state.Output) string {
	if o.Sensitive {
		return "(sensitive)"
	}
	b, err := json.Marshal(o.Value)
	if err != nil {
		return fmt.Sprint(o.Value)
	}
	return string(b)
}

// statePath finds the state file. It needs the evalplan block's state setting, so it loads
// the configuration quietly; commands that only read state work even when a required
// variable is unset (as Terraform's show and output do).
func (c *cli) statePath() (string, bool) {
	cfg, ok := c.settings()
	if !ok {
		return "", false
	}
	return cfg.Settings.State, true
}

// settings loads the configuration for its settings (state path, output directory) and
// executors, or says why there are none. The configuration may have errors elsewhere.
func (c *cli) settings() (*config.Config, bool) {
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error: load the benchmark catalog:", err)
		return nil, false
	}
	cfg, diags := config.Load(c.dir, config.LoadOptions{Environ: c.environ, Catalog: cat})
	if cfg != nil && cfg.Settings.State != "" && len(cfg.Files) > 0 {
		return cfg, true
	}
	if cfg != nil {
		c.printDiags(cfg.HCLFiles(), diags, false)
	}
	if len(diags) == 0 {
		fmt.Fprintf(c.stderr, "Error: no configuration (*.hcl) in %s\n", c.dir)
	}
	return nil, false
}
