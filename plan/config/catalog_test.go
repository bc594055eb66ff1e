package config

import (
	"fmt"
	"sort"
	"strings"
)

// fakeCatalog is a small Catalog for tests.
type fakeCatalog struct{}

func (fakeCatalog) tasks() []string {
	return []string{"lm_eval.gsm8k", "lm_eval.hellaswag", "native.gsm8k", "simple_evals.mmlu_pro"}
}

// Lookup resolves qualified names and unambiguous bare task names, as the real catalog does.
func (c fakeCatalog) Lookup(name string) (string, error) {
	var bare []string
	for _, t := range c.tasks() {
		if t == name {
			return t, nil
		}
		if _, task, _ := strings.Cut(t, "."); task == name {
			bare = append(bare, t)
		}
	}
	switch len(bare) {
	case 1:
		return bare[0], nil
	case 0:
		return "", fmt.Errorf("unknown benchmark %q.%s List benchmarks with `evalplan catalog`", name, didYouMean(name, c.tasks()))
	}
	sort.Strings(bare)
	return "", fmt.Errorf("benchmark name %q is ambiguous: it could be %s; write the qualified name", name, strings.Join(bare, " or "))
}

func (fakeCatalog) HasPreset(name string) bool   { return name == "quick" }
func (fakeCatalog) HasCategory(name string) bool { return name == "math" }
