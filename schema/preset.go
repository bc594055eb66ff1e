package schema

import (
	"fmt"
	"slices"
	"strings"
)

// addPresets resolves the presets of catalog_data.json: an "all" preset lists every task
// (native ones included); any other lists its benchmarks, each of which must be a task.
func (c *Catalog) addPresets(presets []presetData) error {
	for _, p := range presets {
		if _, dup := c.presets[p.Name]; dup {
			return fmt.Errorf("preset %q appears twice", p.Name)
		}
		names := make([]string, 0, len(p.Benchmarks))
		if p.All {
			for _, t := range c.tasks {
				names = append(names, t.Name)
			}
		}
		for _, b := range p.Benchmarks {
			if _, ok := c.byName[b]; !ok {
				return fmt.Errorf("preset %q names %q, which is not in the catalog", p.Name, b)
			}
			names = append(names, b)
		}
		c.presets[p.Name] = names
		c.presetDescs[p.Name] = p.Description
		c.presetNames = append(c.presetNames, p.Name)
	}
	slices.Sort(c.presetNames)
	return nil
}

// HasPreset reports whether name is a suite preset.
func (c *Catalog) HasPreset(name string) bool {
	_, ok := c.presets[name]
	return ok
}

// Preset returns the qualified task names of a suite preset, in the preset's order. The
// "custom" preset is empty; "comprehensive" is every task of the catalog, sorted by name.
func (c *Catalog) Preset(name string) ([]string, error) {
	names, ok := c.presets[name]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q: the presets are %s", name, strings.Join(c.presetNames, ", "))
	}
	return slices.Clone(names), nil
}

// Presets returns the names of the suite presets, sorted.
func (c *Catalog) Presets() []string {
	return slices.Clone(c.presetNames)
}

// PresetDescription returns a preset's one-line description from suites.yaml; empty for an
// unknown preset.
func (c *Catalog) PresetDescription(name string) string {
	return c.presetDescs[name]
}
