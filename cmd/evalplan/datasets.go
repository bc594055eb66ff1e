package main

import (
	"fmt"
	"slices"
	"sort"
	"text/tabwriter"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/providers/dataset"
)

func cmdDatasets(c *cli, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(c.stderr, "Usage: evalplan datasets status | preload [NAME...] | clear [-all]")
		return exitError
	}
	var f commonFlags
	var all bool
	fs := newFlagSet(c, "datasets "+args[0], "datasets "+args[0]+" [options]")
	f.registerVars(fs)
	if args[0] == "clear" {
		fs.BoolVar(&all, "all", false, "clear every cached dataset, not only those this configuration uses")
	}
	pos, code, ok := parseArgs(c, fs, args[1:])
	if !ok {
		return code
	}
	l, ok := c.load(f.vars, c.useColor(f.noColor))
	if !ok {
		return exitError
	}
	p := &dataset.Provider{Dir: l.cfg.Dir}
	used := configDatasets(l)
	switch args[0] {
	case "status":
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DATASET\tCACHED\tSHA256\tSOURCE")
		for _, ds := range used {
			cached := "no"
			sha := ds.SHA256
			if file, ok := p.Cached(ds, l.cfg.Settings.CacheDir); ok {
				cached, sha = "yes", file.SHA256
				if config.IsLocalSource(ds.Source) {
					cached = "local"
				}
			}
			if sha == "" {
				sha = "(unknown until fetched)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", plan.DatasetAddr(ds.Name), cached, display.ShortID(sha), ds.Source)
		}
		tw.Flush()
		entries, err := dataset.Status(l.cfg.Settings.CacheDir)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		var total int64
		for _, e := range entries {
			total += e.Size
		}
		fmt.Fprintf(c.stdout, "\nCache %s: %d file(s), %s.\n", rel(c.dir, l.cfg.Settings.CacheDir), len(entries), display.IBytes(total))
		return exitOK
	case "preload":
		prog := newProgress(c, c.useColor(f.noColor))
		defer prog.Stop()
		failed := 0
		for _, ds := range used {
			if len(pos) > 0 && !slices.Contains(pos, ds.Name) {
				continue
			}
			file, err := p.Fetch(c.ctx, ds, l.cfg.Settings.CacheDir, prog)
			if err != nil {
				fmt.Fprintf(c.stderr, "Error: %v\n", err)
				failed++
				continue
			}
			fmt.Fprintf(c.stdout, "%s: ready (%s, sha256 %s)\n", plan.DatasetAddr(ds.Name), display.IBytes(file.Size), display.ShortID(file.SHA256))
		}
		if failed > 0 {
			return exitError
		}
		return exitOK
	case "clear":
		var shas []string
		if !all {
			for _, ds := range used {
				if file, ok := p.Cached(ds, l.cfg.Settings.CacheDir); ok {
					shas = append(shas, file.SHA256)
				}
			}
			if len(shas) == 0 {
				fmt.Fprintln(c.stdout, "No cached dataset of this configuration to clear.")
				return exitOK
			}
		}
		n, freed, err := dataset.Clear(l.cfg.Settings.CacheDir, shas...)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		fmt.Fprintf(c.stdout, "Removed %d cached file(s), %s freed.\n", n, display.IBytes(freed))
		return exitOK
	}
	fmt.Fprintf(c.stderr, "Error: unknown datasets subcommand %q; use status, preload or clear\n", args[0])
	return exitError
}

// configDatasets lists the dataset blocks plus the canonical datasets of native tasks the
// suites use, sorted by name.
func configDatasets(l *loaded) []*config.Dataset {
	byName := map[string]*config.Dataset{}
	for n, ds := range l.cfg.Datasets {
		byName[n] = ds
	}
	for _, s := range l.cfg.Suites {
		for _, b := range s.Benchmarks {
			canon, err := l.catalog.Lookup(b.Name)
			if err != nil {
				continue
			}
			if t, ok := l.catalog.Get(canon); ok && t.Native != nil {
				if ov := s.Overrides[b.Name]; ov != nil && ov.Dataset != "" {
					continue
				}
				byName[t.Name] = &config.Dataset{Name: t.Name, Source: t.Native.Source, SHA256: t.Native.SHA256, Format: t.Native.Format}
			}
		}
	}
	out := make([]*config.Dataset, 0, len(byName))
	for _, ds := range byName {
		out = append(out, ds)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
