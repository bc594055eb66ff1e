package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/local"
	"github.com/evalplan/evalplan/providers/mlflow"
)

// exporters wires the built-in exporters (by exporter type) for a configuration.
func (c *cli) exporters(cfg *config.Config) map[string]plan.Exporter {
	env := environMap(c.environ)
	return map[string]plan.Exporter{
		"mlflow": &mlflow.Exporter{CacheDir: cfg.Settings.CacheDir, Getenv: func(k string) string { return env[k] }, Notify: c.stderr},
		"local":  &local.Exporter{ConfigDir: cfg.Dir, OutputDir: cfg.Settings.OutputDir},
	}
}

func cmdExport(c *cli, args []string) int {
	var f commonFlags
	var only stringsFlag
	var force bool
	fs := newFlagSet(c, "export", "export [options] [RUN_ADDRESS...]")
	f.registerVars(fs)
	f.registerInput(fs)
	f.registerLock(fs)
	fs.Var(&only, "exporter", "export only to this exporter, TYPE.NAME as in exporter.mlflow.team (repeatable)")
	fs.BoolVar(&force, "force", false, "export again what state records as exported")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	var keys []string
	checkKeys := func(l *loaded) (ok bool) {
		if len(l.cfg.Exporters) == 0 {
			fmt.Fprintln(c.stderr, "Error: the configuration has no exporter blocks, so there is nowhere to export to. Add an exporter \"local\" or exporter \"mlflow\" block (see docs/language.md).")
			return false
		}
		keys, ok = c.exporterKeys(l.cfg, only)
		return ok
	}
	s, code, ok := c.open(&f, append([]string{"export"}, args...), afterLoad(checkKeys))
	if !ok {
		return code
	}
	defer s.release()
	l, st, exists := s.loaded, s.state, s.exists
	if !exists {
		fmt.Fprintln(c.stdout, "Nothing to export: there is no state yet; run 'evalplan apply' first.")
		return exitOK
	}
	store := state.NewStore(l.cfg.Settings.State, st)
	done, errs := l.engine.Export(c.ctx, l.cfg, store, plan.ExportOptions{Exporters: keys, Addrs: pos, Force: force})
	if err := l.close(c.ctx); err != nil {
		fmt.Fprintln(c.stderr, "Warning:", err)
	}
	snap := store.Snapshot()
	for _, addr := range done {
		xa, err := addrs.ParseExport(addr)
		if err != nil {
			continue
		}
		ref := snap.Resources[xa.Run.String()].Exports[xa.Exporter.String()].Ref
		fmt.Fprintf(c.stdout, "%s: exported (%s)\n", addr, ref)
	}
	failed := make([]string, 0, len(errs))
	for addr := range errs {
		failed = append(failed, addr)
	}
	sort.Strings(failed)
	for _, addr := range failed {
		fmt.Fprintf(c.stderr, "Error: %s: %v\n", addr, errs[addr])
	}
	switch {
	case len(failed) > 0:
		fmt.Fprintf(c.stdout, "Export: %d exported, %d failed (state records the failures; 'evalplan export' or the next apply retries them).\n", len(done), len(failed))
		return exitError
	case len(done) == 0:
		fmt.Fprintln(c.stdout, "Nothing to export: every complete run is exported with its current identity (use -force to export again).")
	default:
		fmt.Fprintf(c.stdout, "Export complete! %d exported.\n", len(done))
	}
	return exitOK
}

// exporterKeys checks -exporter values against the configuration and returns them as keys
// ("mlflow.team"); no values means every exporter.
func (c *cli) exporterKeys(cfg *config.Config, only []string) ([]string, bool) {
	var keys []string
	for _, name := range only {
		key := name
		if x, err := addrs.ParseExporter(name); err == nil {
			key = x.Key()
		}
		if cfg.Exporters[key] == nil {
			known := make([]string, 0, len(cfg.Exporters))
			for _, k := range slices.Sorted(maps.Keys(cfg.Exporters)) {
				x := cfg.Exporters[k]
				known = append(known, addrs.Exporter{Type: x.Type, Name: x.Name}.String())
			}
			list := strings.Join(known, ", ")
			if list == "" {
				list = "none"
			}
			fmt.Fprintf(c.stderr, "Error: -exporter %s: no such exporter block (the configuration has: %s)\n", name, list)
			return nil, false
		}
		keys = append(keys, key)
	}
	return keys, true
}
