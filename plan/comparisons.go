package plan

import (
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/hashicorp/hcl/v2"
)

// wantedComparisons returns which paired comparisons apply records: those that a check or
// an output reads through suite.S.compare[B][E][E2]. An expression that reads a larger part
// of the table (suite.S.compare[B], suite.S.compare, suite.S or all of suite) wants every
// comparison in that part. Nothing else needs one recorded: `evalplan compare` and the
// report compare the runs' journals when state has none.
func wantedComparisons(cfg *config.Config) compare.Want {
	var patterns [][]string // suite, benchmark, endpoint, base; "" matches any
	add := func(expr hcl.Expression) {
		if expr == nil {
			return
		}
		for _, tr := range expr.Variables() {
			keys, ok := suiteKeys(tr)
			if !ok || len(keys) >= 2 && keys[1] != "compare" {
				continue
			}
			p := make([]string, 4)
			for i, k := range keys {
				switch {
				case i == 0:
					p[0] = k
				case i >= 2 && i <= 4:
					p[i-1] = k
				}
			}
			patterns = append(patterns, p)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Checks)) {
		add(cfg.Checks[name].Condition)
		add(cfg.Checks[name].ErrorMessage)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Outputs)) {
		add(cfg.Outputs[name].Value)
	}
	return func(suite, benchmark, endpoint, base string) bool {
		got := []string{suite, benchmark, endpoint, base}
		for _, p := range patterns {
			if matchAll(p, got) {
				return true
			}
		}
		return false
	}
}

func matchAll(pattern, got []string) bool {
	for i, p := range pattern {
		if p != "" && p != got[i] {
			return false
		}
	}
	return true
}
