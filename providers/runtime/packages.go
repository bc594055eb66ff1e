package runtime

import "slices"

// Core are the packages every harness environment holds: nemo-evaluator 0.2.8 is the last
// release with the run_eval command (0.3.0 is a different product, `nel`).
var Core = []string{"nemo-evaluator==0.2.8", "nvidia-eval-commons==1.0.5"}

// harnessPackages are the pip packages of each catalog harness, as NVIDIA's eval-factory
// images ship them (25.x/26.x).
var harnessPackages = map[string][]string{
	"simple_evals":          {"nvidia-simple-evals==26.3"},
	"lm-evaluation-harness": {"nvidia-lm-eval==26.3"},
}

// Packages returns the package set of a harness's environment (Core plus the harness's
// own, sorted), or nil when no packaged release of the harness is known.
func Packages(harness string) []string {
	h, ok := harnessPackages[harness]
	if !ok {
		return nil
	}
	out := append(slices.Clone(Core), h...)
	slices.Sort(out)
	return out
}

// Harnesses lists the harnesses with known packages, sorted.
func Harnesses() []string {
	out := make([]string, 0, len(harnessPackages))
	for h := range harnessPackages {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}
