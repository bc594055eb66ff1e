package main

import (
	"fmt"
	"slices"
	"sort"
	"text/tabwriter"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/providers/dataset"
)

// datasetsRequest is what every datasets subcommand gets: the loaded configuration, the
// dataset provider, the datasets the configuration uses, the flags and the positional
// arguments.
type datasetsRequest struct {
	l     *loaded
	p     *dataset.Provider
	used  []*config.Dataset
	pos   []string
	all   bool
	color bool
}

// datasetsCommands maps each datasets subcommand to its function.
func datasetsCommands() map[string]func(*cli, datasetsRequest) int {
	return map[string]func(*cli, datasetsRequest) int{
		"status":  datasetsStatus,
		"preload": datasetsPreload,
		"clear":   datasetsClear,
	}
}

// cmdDatasets parses the subcommand's flags, loads the configuration and hands over to the
// subcommand.
func cmdDatasets(c *cli, args []string) int {
	const usage = "Usage: evalplan datasets status | preload [NAME...] | clear [-all]\n\nstatus: the configuration's datasets and the cache\npreload: fetch datasets into the cache now\nclear: remove cached datasets this configuration uses (-all: every one)"
	if len(args) == 0 || isHelp(args[0]) {
		return c.subcommandUsage(args, usage)
	}
	if _, ok := datasetsCommands()[args[0]]; !ok {
		fmt.Fprintf(c.stderr, "Error: unknown datasets subcommand %q; use status, preload or clear\n", args[0])
		return exitError
	}
	var f commonFlags
	var r datasetsRequest
	fs := newFlagSet(c, "datasets "+args[0], "datasets "+args[0]+" [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	if args[0] == "clear" {
		fs.BoolVar(&r.all, "all", false, "clear every cached dataset, not only those this configuration uses")
	}
	pos, code, ok := parseArgs(c, fs, args[1:])
	if !ok {
		return code
	}
	s, code, ok := c.open(&f, append([]string{"datasets"}, args...), configOnly())
	if !ok {
		return code
	}
	r.l, r.pos, r.color = s.loaded, pos, c.useColor(f.noColor)
	r.p = &dataset.Provider{Dir: r.l.cfg.Dir}
	r.used = configDatasets(r.l)
	run, ok := datasetsCommands()[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "Error: unknown datasets subcommand %q; use status, preload or clear\n", args[0])
		return exitError
	}
	return run(c, r)
}

// datasetsStatus lists the configuration's datasets, whether each is cached, and the cache's size.
func datasetsStatus(c *cli, r datasetsRequest) int {
	cache := r.l.cfg.Settings.CacheDir
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tCACHED\tSHA256\tSOURCE")
	for _, ds := range r.used {
		cached := "no"
		sha := ds.SHA256
		if file, ok := r.p.Cached(ds, cache); ok {
			cached, sha = "yes", file.SHA256
			if config.IsLocalSource(ds.Source) {
				cached = "local"
			}
		}
		if sha == "" {
			sha = "(unknown until fetched)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", addrs.Dataset{Name: ds.Name}.String(), cached, sha, config.RedactSource(ds.Source))
	}
	tw.Flush()
	entries, err := dataset.Status(cache)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	fmt.Fprintf(c.stdout, "\nCache %s: %d file(s), %s.\n", rel(c.dir, cache), len(entries), display.IBytes(total))
	return exitOK
}

// datasetsPreload fetches the configuration's datasets (those named, or all) into the cache.
func datasetsPreload(c *cli, r datasetsRequest) int {
	prog := newProgress(c, r.color)
	defer prog.Stop()
	failed := 0
	for _, ds := range r.used {
		if len(r.pos) > 0 && !slices.Contains(r.pos, ds.Name) {
			continue
		}
		file, err := r.p.Fetch(c.ctx, ds, r.l.cfg.Settings.CacheDir, prog)
		if err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(c.stdout, "%s: ready (%s, sha256 %s)\n", addrs.Dataset{Name: ds.Name}.String(), display.IBytes(file.Size), display.ShortID(file.SHA256))
	}
	if failed > 0 {
		return exitError
	}
	return exitOK
}

// datasetsClear removes the configuration's cached datasets, or with -all every cached one.
func datasetsClear(c *cli, r datasetsRequest) int {
	cache := r.l.cfg.Settings.CacheDir
	var shas []string
	if !r.all {
		for _, ds := range r.used {
			if file, ok := r.p.Cached(ds, cache); ok {
				shas = append(shas, file.SHA256)
			}
		}
		if len(shas) == 0 {
			fmt.Fprintln(c.stdout, "No cached dataset of this configuration to clear.")
			return exitOK
		}
	}
	n, freed, err := dataset.Clear(cache, shas...)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	fmt.Fprintf(c.stdout, "Removed %d cached file(s), %s freed.\n", n, display.IBytes(freed))
	return exitOK
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
