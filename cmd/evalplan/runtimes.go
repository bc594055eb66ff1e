package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/runtime"
)

// runtimesCommands maps each runtimes subcommand to its function.
func runtimesCommands() map[string]func(*cli, *runtime.Manager, *loaded, []string) int {
	return map[string]func(*cli, *runtime.Manager, *loaded, []string) int{
		"list":    runtimesList,
		"prepare": runtimesPrepare,
		"clear":   runtimesClear,
	}
}

// cmdRuntimes manages the Python environments of runtime = "venv" runs, under the cache
// directory's runtimes/, or with -executor under a cluster executor's shared_dir/runtimes
// (where the runs on that executor find theirs).
func cmdRuntimes(c *cli, args []string) int {
	const usage = "Usage: evalplan runtimes list | prepare [HARNESS...] | clear\n\nlist: the prepared Python environments of venv runs\nprepare: create the environments of the harnesses named, or of the configuration's venv runs\nclear: remove every prepared environment"
	if len(args) == 0 || isHelp(args[0]) {
		return c.subcommandUsage(args, usage)
	}
	run, ok := runtimesCommands()[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "Error: unknown runtimes subcommand %q; use list, prepare or clear\n", args[0])
		return exitError
	}
	var (
		f        commonFlags
		executor string
	)
	fs := newFlagSet(c, "runtimes "+args[0], "runtimes "+args[0]+" [options]")
	fs.StringVar(&executor, "executor", "", "the environments of the runs on a cluster executor (`slurm.NAME`): under its shared_dir/runtimes")
	f.registerVars(fs)
	f.registerInput(fs)
	pos, code, ok := parseArgs(c, fs, args[1:])
	if !ok {
		return code
	}
	s, code, ok := c.open(&f, append([]string{"runtimes"}, args...), configOnly())
	if !ok {
		return code
	}
	m := &runtime.Manager{Dir: container.RuntimesDir(s.loaded.cfg.Settings.CacheDir), Environ: c.environ}
	if executor != "" {
		x := s.loaded.cfg.Executors[executor]
		if x == nil {
			declared := strings.Join(slices.Sorted(maps.Keys(s.loaded.cfg.Executors)), ", ")
			if declared == "" {
				declared = "none"
			}
			fmt.Fprintf(c.stderr, "Error: -executor %s: the configuration declares no such executor (declared: %s); name one as TYPE.NAME, such as slurm.lab\n", executor, declared)
			return exitError
		}
		m.Dir = filepath.Join(x.SharedDir, "runtimes")
	}
	return run(c, m, s.loaded, pos)
}

// runtimesList lists the prepared environments.
func runtimesList(c *cli, m *runtime.Manager, _ *loaded, _ []string) int {
	envs, err := m.List()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if len(envs) == 0 {
		fmt.Fprintf(c.stdout, "No prepared Python environment in %s.\n", rel(c.dir, m.Dir))
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCK\tPYTHON\tPACKAGES\tDIR")
	for _, e := range envs {
		fmt.Fprintf(tw, "sha256:%s\t%s\t%s\t%s\n", e.Lock[:12], e.Python, strings.Join(e.Packages, " "), rel(c.dir, e.Dir))
	}
	tw.Flush()
	return exitOK
}

// runtimesPrepare creates the environments of the harnesses named, or of every harness the
// configuration runs with runtime = "venv".
func runtimesPrepare(c *cli, m *runtime.Manager, l *loaded, harnesses []string) int {
	if len(harnesses) == 0 {
		harnesses = venvHarnesses(l)
		if len(harnesses) == 0 {
			fmt.Fprintln(c.stdout, "No benchmark of this configuration has runtime = \"venv\"; name harnesses to prepare: evalplan runtimes prepare simple_evals")
			return exitOK
		}
	}
	failed := 0
	for _, h := range harnesses {
		pkgs, err := runtime.HarnessPackages(l.catalog, h)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			failed++
			continue
		}
		env, err := m.Prepare(c.ctx, pkgs, func(msg string) { fmt.Fprintf(c.stderr, "%s: %s\n", h, msg) })
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %s: %v\n", h, err)
			failed++
			continue
		}
		fmt.Fprintf(c.stdout, "%s: ready (%s, Python %s, %s)\n", h, env.Identity(), env.Python, rel(c.dir, env.Dir))
	}
	if failed > 0 {
		return exitError
	}
	return exitOK
}

// runtimesClear removes every prepared environment.
func runtimesClear(c *cli, m *runtime.Manager, _ *loaded, _ []string) int {
	envs, _ := m.List()
	if err := m.Clear(); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "Removed %d Python environment(s).\n", len(envs))
	return exitOK
}

// venvHarnesses lists the harnesses of the benchmarks that run with runtime = "venv".
func venvHarnesses(l *loaded) []string {
	var out []string
	for _, s := range l.cfg.Suites {
		for _, b := range s.Benchmarks {
			canon, err := l.catalog.Lookup(b.Name)
			if err != nil {
				continue
			}
			t, ok := l.catalog.Get(canon)
			if !ok || config.RunRuntime(s, s.Overrides[b.Name]) != config.RuntimeVenv || slices.Contains(out, t.Harness) {
				continue
			}
			out = append(out, t.Harness)
		}
	}
	slices.Sort(out)
	return out
}
