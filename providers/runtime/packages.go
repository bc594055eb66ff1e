package runtime

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/schema"
)

// Packages returns the package set of a catalog task's environment: its harness's exact pins
// as the catalog records them (schema.Harness.Packages: nemo-evaluator, nvidia-eval-commons
// and the harness's own package, sorted). A harness without a published package, and a
// native task, are errors that say to use runtime = "docker".
func Packages(t *schema.Task) ([]string, error) {
	switch {
	case len(t.Packages) > 0:
		return slices.Clone(t.Packages), nil
	case t.Native != nil || t.Harness == schema.NativeHarness:
		return nil, fmt.Errorf("%s is a native task: evalplan runs it itself, with no harness runtime; remove runtime = \"venv\" for it", t.Name)
	case t.NoPackages != "":
		return nil, fmt.Errorf("the %s harness has no Python packages for runtime = \"venv\" (%s); set runtime = \"docker\" for %s", t.Harness, t.NoPackages, t.Name)
	default:
		return nil, fmt.Errorf("the catalog records no Python packages for the %s harness; set runtime = \"docker\" for %s", t.Harness, t.Name)
	}
}

// HarnessPackages returns the package set of a harness by name (`evalplan runtimes prepare
// HARNESS`), or an error naming the harnesses that have one.
func HarnessPackages(cat *schema.Catalog, harness string) ([]string, error) {
	h, ok := cat.Harness(harness)
	switch {
	case ok && len(h.Packages) > 0:
		return slices.Clone(h.Packages), nil
	case ok:
		return nil, fmt.Errorf("the harness %q has no Python packages (%s): its benchmarks run with runtime = \"docker\" only", harness, h.NoPackages)
	}
	var known []string
	for _, h := range cat.Harnesses() {
		if len(h.Packages) > 0 {
			known = append(known, h.Name)
		}
	}
	return nil, fmt.Errorf("unknown harness %q; harnesses with Python packages: %s", harness, strings.Join(known, ", "))
}
