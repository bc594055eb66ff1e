package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/container"
)

// neededImage is one container image the configuration's runs use.
type neededImage struct {
	Image   string   `json:"image"`
	Status  string   `json:"status"` // present, missing, unknown (Docker unavailable)
	Size    int64    `json:"size,omitempty"`
	Runs    []string `json:"runs"`
	present bool
}

// cmdContainers lists the images the configuration needs, with present/missing and size.
func cmdContainers(c *cli, args []string) int {
	var (
		f      commonFlags
		asJSON bool
	)
	fs := newFlagSet(c, "containers", "containers [options]")
	f.registerVars(fs)
	f.registerInput(fs)
	fs.BoolVar(&asJSON, "json", false, "print the list as JSON")
	if _, code, ok := parseArgs(c, fs, args); !ok {
		return code
	}
	s, code, ok := c.open(&f, append([]string{"containers"}, args...), configOnly())
	if !ok {
		return code
	}
	l := s.loaded
	p, diags := l.engine.Plan(c.ctx, l.cfg, state.New(version), plan.Options{Refresh: false})
	if diags.HasErrors() {
		c.printDiags(l.cfg.HCLFiles(), diags, c.useColor(f.noColor))
		return exitError
	}
	needed := imagesOf(p)
	docker := container.New(container.Options{Environ: c.environ})
	defer docker.Close()
	var dockerErr error
	for _, n := range needed {
		img, err := container.ParseImage(n.Image)
		if err != nil {
			n.Status = "invalid"
			continue
		}
		if dockerErr != nil {
			n.Status = "unknown"
			continue
		}
		local, err := docker.Inspect(c.ctx, img)
		if err != nil {
			dockerErr, n.Status = err, "unknown"
			continue
		}
		n.Status, n.Size, n.present = "missing", local.Size, local.Present
		if local.Present {
			n.Status = "present"
		}
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(needed); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
	} else {
		printImages(c, needed)
	}
	if dockerErr != nil {
		fmt.Fprintln(c.stderr, "Error:", dockerErr)
		return exitError
	}
	return exitOK
}

// imagesOf groups the plan's container runs by image, sorted by image.
func imagesOf(p *plan.Plan) []*neededImage {
	by := map[string]*neededImage{}
	for _, a := range p.Actions {
		ref := a.Image
		if ref == "" {
			continue
		}
		n := by[ref]
		if n == nil {
			n = &neededImage{Image: ref}
			by[ref] = n
		}
		n.Runs = append(n.Runs, a.Address)
	}
	out := make([]*neededImage, 0, len(by))
	for _, n := range by {
		sort.Strings(n.Runs)
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out
}

func printImages(c *cli, needed []*neededImage) {
	if len(needed) == 0 {
		fmt.Fprintln(c.stdout, "No container images needed: the configuration has no container tasks.")
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tSTATUS\tSIZE\tRUNS")
	var missing int
	for _, n := range needed {
		size := "-"
		if n.present {
			size = display.Bytes(n.Size)
		}
		if n.Status == "missing" {
			missing++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", n.Image, n.Status, size, len(n.Runs))
	}
	tw.Flush()
	if missing > 0 {
		fmt.Fprintf(c.stdout, "\n%d image(s) missing: apply pulls each once (nvcr.io needs NGC_API_KEY; other registries use ~/.docker/config.json).\n", missing)
	}
}
