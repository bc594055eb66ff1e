package container

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/schema"
	"gopkg.in/yaml.v3"
)

// ParseResults converts NeMo's results.yml into evalplan's result. The headline is the
// entry of the run's own task, looked up by each of names in turn (the catalog's params.task,
// then its task name, see TaskNames), in results.groups first and then in results.tasks; when
// no name matches exactly, a single top-level group whose name starts with one of them (lm-eval
// runs NeMo's "mmlu" as the group "mmlu_str"). A file without the task is an error, never a
// guess. Every score of that entry becomes a metric named "<metric>_<score>" ("<metric>" when
// the two names are equal, as NVIDIA's exporters flatten them) with its value, stats.stderr
// and stats.count; the primary metric is the entry's first metric, at its score named like
// the metric, else "micro", else its first score (PyYAML sorts keys, so file order says
// nothing about which score is the headline). Every other group (nested ones as
// "parent/child") and task becomes a subscore.
func ParseResults(b []byte, names ...string) (*result.Result, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse results.yml: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("parse results.yml: the file is empty")
	}
	res := get(doc.Content[0], "results")
	grps, tasks := mappingOf(get(res, "groups")), mappingOf(get(res, "tasks"))
	if grps == nil && tasks == nil {
		return nil, errors.New("parse results.yml: neither results.groups nor results.tasks")
	}
	section, main, node := find(grps, tasks, names)
	if node == nil {
		return nil, fmt.Errorf("parse results.yml: no entry for task %s in results.groups (%s) or results.tasks (%s)",
			strings.Join(quoted(names), " or "), keyList(grps), keyList(tasks))
	}
	primary, metrics, err := scores(node)
	if err != nil {
		return nil, fmt.Errorf("parse results.yml: results.%s.%s: %w", section, main, err)
	}
	if primary == "" {
		return nil, fmt.Errorf("parse results.yml: results.%s.%s has no numeric scores", section, main)
	}
	m := metrics[primary]
	out := &result.Result{Score: m.Value, Primary: primary, N: m.N, Metrics: metrics}
	sub := map[string]map[string]result.Metric{}
	if err := groups(grps, "", main, sub); err != nil {
		return nil, err
	}
	for i := 0; tasks != nil && i+1 < len(tasks.Content); i += 2 {
		name := tasks.Content[i].Value
		if name == main {
			continue
		}
		_, m, err := scores(tasks.Content[i+1])
		if err != nil {
			return nil, fmt.Errorf("parse results.yml: results.tasks.%s: %w", name, err)
		}
		if _, dup := sub[name]; dup {
			name = "tasks/" + name
		}
		if len(m) > 0 {
			sub[name] = m
		}
	}
	if len(sub) > 0 {
		out.Subscores = sub
	}
	return out, nil
}

// TaskNames are the names a catalog task's entry may have in results.yml, best first: the
// harness's own task (the catalog's default params.task, e.g. lm-eval's "mmlu_str" for NeMo's
// "mmlu"), then the catalog's task name.
func TaskNames(t *schema.Task) []string {
	var names []string
	if t == nil {
		return nil
	}
	if s, ok := t.Defaults["task"].(string); ok && s != "" {
		names = append(names, s)
	}
	if t.Task != "" && !slices.Contains(names, t.Task) {
		names = append(names, t.Task)
	}
	return names
}

// find is the task's entry: by exact name in groups, then tasks; else the only top-level
// group, when its name starts with one of names.
func find(grps, tasks *yaml.Node, names []string) (section, name string, node *yaml.Node) {
	for _, n := range names {
		if v := get(grps, n); v != nil {
			return "groups", n, v
		}
		if v := get(tasks, n); v != nil {
			return "tasks", n, v
		}
	}
	if grps != nil && len(grps.Content) == 2 {
		g := grps.Content[0].Value
		for _, n := range names {
			if n != "" && strings.HasPrefix(g, n+"_") {
				return "groups", g, grps.Content[1]
			}
		}
	}
	return "", "", nil
}

// mappingOf is n when it is a mapping, else nil.
func mappingOf(n *yaml.Node) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// keyList names a mapping's keys for a message: at most five, then how many more.
func keyList(n *yaml.Node) string {
	if n == nil || len(n.Content) == 0 {
		return "none"
	}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	if len(keys) > 5 {
		return strings.Join(keys[:5], ", ") + fmt.Sprintf(" and %d more", len(keys)-5)
	}
	return strings.Join(keys, ", ")
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}

// groups adds results.groups (recursively) to sub, all but the top-level group main.
func groups(node *yaml.Node, prefix, main string, sub map[string]map[string]result.Metric) error {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		name := prefix + node.Content[i].Value
		_, m, err := scores(node.Content[i+1])
		if err != nil {
			return fmt.Errorf("parse results.yml: results.groups.%s: %w", name, err)
		}
		if len(m) > 0 && name != main {
			sub[name] = m
		}
		if err := groups(get(node.Content[i+1], "groups"), name+"/", "", sub); err != nil {
			return err
		}
	}
	return nil
}

// scores reads <node>.metrics.<m>.scores.<s>.{value, stats} and names the primary one: the
// first metric's score named like the metric, else its "micro" score, else its first.
func scores(node *yaml.Node) (string, map[string]result.Metric, error) {
	out := map[string]result.Metric{}
	ms := get(node, "metrics")
	if ms == nil {
		return "", out, nil
	}
	if ms.Kind != yaml.MappingNode {
		return "", nil, errors.New("metrics is not a mapping")
	}
	primary := ""
	for i := 0; i+1 < len(ms.Content); i += 2 {
		metric := ms.Content[i].Value
		ss := get(ms.Content[i+1], "scores")
		if ss == nil || ss.Kind != yaml.MappingNode {
			continue
		}
		var first, micro, same string
		for j := 0; j+1 < len(ss.Content); j += 2 {
			score := ss.Content[j].Value
			m, ok := metricOf(ss.Content[j+1])
			if !ok {
				continue
			}
			name := metric + "_" + score
			if score == metric {
				name = metric
				same = name
			}
			if score == "micro" {
				micro = name
			}
			if first == "" {
				first = name
			}
			out[name] = m
		}
		if primary == "" {
			primary = cmp.Or(same, micro, first)
		}
	}
	return primary, out, nil
}

// metricOf reads {value, stats: {stderr, count}}; ok is false when value is not a number.
func metricOf(n *yaml.Node) (result.Metric, bool) {
	v, ok := number(get(n, "value"))
	if !ok {
		return result.Metric{}, false
	}
	m := result.Metric{Value: v}
	stats := get(n, "stats")
	if c, ok := number(get(stats, "count")); ok {
		m.N = int(c)
	}
	if se, ok := number(get(stats, "stderr")); ok {
		m.Stderr = &se
		m.CI95 = &[2]float64{v - 1.96*se, v + 1.96*se}
	}
	return m, true
}

func number(n *yaml.Node) (float64, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// get returns a mapping node's value for key, nil when absent or not a mapping.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
