package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/evalplan/evalplan/schema"
)

// catalogRequest is what every catalog subcommand gets: the catalog, the filters, -json and
// the positional arguments.
type catalogRequest struct {
	cat    *schema.Catalog
	q      schema.Query
	asJSON bool
	pos    []string
}

// catalogCommands maps each catalog subcommand to its function.
func catalogCommands() map[string]func(*cli, catalogRequest) int {
	return map[string]func(*cli, catalogRequest) int{
		"list":       catalogList,
		"search":     catalogSearch,
		"show":       catalogShow,
		"presets":    catalogPresets,
		"categories": catalogCategories,
	}
}

// cmdCatalog parses the flags the subcommands share, loads the catalog, checks the filters
// and hands over to the subcommand (list when none is named).
func cmdCatalog(c *cli, args []string) int {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var r catalogRequest
	fs := newFlagSet(c, "catalog "+sub, "catalog list|search WORD|show NAME|presets|categories [options]")
	fs.StringVar(&r.q.Category, "category", "", "only this category")
	fs.StringVar(&r.q.Harness, "harness", "", "only this harness")
	fs.StringVar(&r.q.EndpointType, "endpoint-type", "", "only tasks for this endpoint type (chat, completions, vlm, embedding)")
	fs.StringVar(&r.q.Capability, "capability", "", "only tasks needing this capability (logprobs, vision, embedding)")
	fs.StringVar(&r.q.Container, "container", "", "only tasks in this container")
	fs.BoolVar(&r.asJSON, "json", false, "print JSON")
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	r.pos = pos
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	r.cat = cat
	if err := checkQuery(cat, r.q); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	run, ok := catalogCommands()[sub]
	if !ok {
		fmt.Fprintf(c.stderr, "Error: unknown catalog subcommand %q; use list, search, show, presets or categories\n", sub)
		return exitError
	}
	return run(c, r)
}

// catalogPresets lists the presets with how many benchmarks each names.
func catalogPresets(c *cli, r catalogRequest) int {
	if r.asJSON {
		out := map[string][]string{}
		for _, name := range r.cat.Presets() {
			out[name], _ = r.cat.Preset(name)
		}
		return printJSON(c, out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tBENCHMARKS\tDESCRIPTION")
	for _, name := range r.cat.Presets() {
		names, _ := r.cat.Preset(name)
		fmt.Fprintf(tw, "%s\t%d\t%s\n", name, len(names), r.cat.PresetDescription(name))
	}
	tw.Flush()
	return exitOK
}

// catalogCategories lists the categories with how many benchmarks each has.
func catalogCategories(c *cli, r catalogRequest) int {
	if r.asJSON {
		return printJSON(c, r.cat.Categories())
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tBENCHMARKS")
	for _, name := range r.cat.Categories() {
		fmt.Fprintf(tw, "%s\t%d\n", name, len(r.cat.InCategory(name)))
	}
	tw.Flush()
	return exitOK
}

// catalogSearch lists the benchmarks that match the words and the filters.
func catalogSearch(c *cli, r catalogRequest) int {
	if len(r.pos) == 0 {
		fmt.Fprintln(c.stderr, "Error: catalog search needs a WORD")
		return exitError
	}
	r.q.Text = strings.Join(r.pos, " ")
	return catalogList(c, r)
}

// catalogList lists the benchmarks that match the filters.
func catalogList(c *cli, r catalogRequest) int {
	tasks := r.cat.Search(r.q)
	if r.asJSON {
		return printJSON(c, tasks)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCATEGORY\tENDPOINT\tCAPABILITIES")
	for _, t := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Category, strings.Join(t.EndpointTypes, ","), strings.Join(t.Capabilities, ","))
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "%d benchmark(s)\n", len(tasks))
	return exitOK
}

// catalogShow describes one benchmark, found by its name or an alias.
func catalogShow(c *cli, r catalogRequest) int {
	if len(r.pos) != 1 {
		fmt.Fprintln(c.stderr, "Error: catalog show needs one NAME")
		return exitError
	}
	canon, err := r.cat.Lookup(r.pos[0])
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	t, _ := r.cat.Get(canon)
	if r.asJSON {
		return printJSON(c, t)
	}
	fmt.Fprintf(c.stdout, "%s\n  harness:   %s\n  task:      %s\n  category:  %s\n  endpoints: %s\n", t.Name, t.Harness, t.Task, t.Category, strings.Join(t.EndpointTypes, ", "))
	if len(t.Capabilities) > 0 {
		fmt.Fprintf(c.stdout, "  needs:     %s\n", strings.Join(t.Capabilities, ", "))
	}
	// A container task's two harness runtimes: its image, and its harness's packages or why
	// it has none.
	if t.Image != "" {
		fmt.Fprintf(c.stdout, "  image:     %s:%s@%s (runtime = \"docker\", the default)\n", t.Image, t.Tag, t.Digest)
	}
	switch {
	case len(t.Packages) > 0:
		fmt.Fprintf(c.stdout, "  packages:  %s (runtime = \"venv\")\n", strings.Join(t.Packages, " "))
	case t.NoPackages != "":
		fmt.Fprintf(c.stdout, "  packages:  none, runtime = \"venv\" is not available: %s\n", t.NoPackages)
	}
	if t.Native != nil {
		fmt.Fprintf(c.stdout, "  dataset:   %s (sha256 %s)\n  scorer:    %s\n", t.Native.Source, t.Native.SHA256, t.Native.Scorer)
	}
	if len(t.Defaults) > 0 {
		b, _ := json.Marshal(t.Defaults)
		fmt.Fprintf(c.stdout, "  defaults:  %s\n", b)
	}
	if t.Description != "" {
		fmt.Fprintf(c.stdout, "\n%s\n", t.Description)
	}
	return exitOK
}

func printJSON(c *cli, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	fmt.Fprintln(c.stdout, string(b))
	return exitOK
}

// checkQuery rejects filter values that no catalog task has, so a typo is an error rather
// than an empty list.
func checkQuery(cat *schema.Catalog, q schema.Query) error {
	known := func(flag, value string, values func(*schema.Task) []string) error {
		if value == "" {
			return nil
		}
		seen := map[string]bool{}
		for _, t := range cat.Tasks() {
			for _, v := range values(t) {
				if v == value || (flag == "category" && cat.HasCategory(value)) {
					return nil
				}
				seen[v] = true
			}
		}
		var list []string
		for v := range seen {
			list = append(list, v)
		}
		slices.Sort(list)
		return fmt.Errorf("no benchmark has -%s %q; known values: %s", flag, value, strings.Join(list, ", "))
	}
	one := func(f func(*schema.Task) string) func(*schema.Task) []string {
		return func(t *schema.Task) []string {
			if v := f(t); v != "" {
				return []string{v}
			}
			return nil
		}
	}
	return errors.Join(
		known("category", q.Category, one(func(t *schema.Task) string { return t.Category })),
		known("harness", q.Harness, one(func(t *schema.Task) string { return t.Harness })),
		known("endpoint-type", q.EndpointType, func(t *schema.Task) []string {
			return append(append([]string{}, t.EndpointTypes...), t.RawEndpointTypes...)
		}),
		known("capability", q.Capability, func(t *schema.Task) []string { return t.Capabilities }),
		known("container", q.Container, one(func(t *schema.Task) string { return t.Container })),
	)
}
