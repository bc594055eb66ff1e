package container

import (
	"errors"
	"fmt"
	"math"

	"github.com/evalplan/evalplan/plan/result"
	"gopkg.in/yaml.v3"
)

// ParseResults converts NeMo's results.yml into evalplan's result: every score of the run's
// task (results.tasks.<task>, else the file's first task) becomes a metric named
// "<metric>_<score>" ("<metric>" when the two names are equal, as NVIDIA's exporters flatten
// them) with its value, stats.stderr and stats.count; groups (nested ones as "parent/child")
// and the file's other tasks become subscores. The primary metric is the first score of the
// first metric of the task, in file order.
func ParseResults(b []byte, task string) (*result.Result, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse results.yml: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("parse results.yml: the file is empty")
	}
	tasks := get(get(doc.Content[0], "results"), "tasks")
	if tasks == nil || tasks.Kind != yaml.MappingNode || len(tasks.Content) == 0 {
		return nil, errors.New("parse results.yml: no results.tasks")
	}
	main := task
	node := get(tasks, task)
	if node == nil {
		main, node = tasks.Content[0].Value, tasks.Content[1]
	}
	names, metrics, err := scores(node)
	if err != nil {
		return nil, fmt.Errorf("parse results.yml: results.tasks.%s: %w", main, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("parse results.yml: results.tasks.%s has no numeric scores", main)
	}
	primary := metrics[names[0]]
	res := &result.Result{Score: primary.Value, Primary: names[0], N: primary.N, Metrics: metrics}
	sub := map[string]map[string]result.Metric{}
	if err := groups(get(get(doc.Content[0], "results"), "groups"), "", sub); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(tasks.Content); i += 2 {
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
		res.Subscores = sub
	}
	return res, nil
}

// groups adds results.groups (recursively) to sub.
func groups(node *yaml.Node, prefix string, sub map[string]map[string]result.Metric) error {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		name := prefix + node.Content[i].Value
		_, m, err := scores(node.Content[i+1])
		if err != nil {
			return fmt.Errorf("parse results.yml: results.groups.%s: %w", name, err)
		}
		if len(m) > 0 {
			sub[name] = m
		}
		if err := groups(get(node.Content[i+1], "groups"), name+"/", sub); err != nil {
			return err
		}
	}
	return nil
}

// scores reads <node>.metrics.<m>.scores.<s>.{value, stats} in file order.
func scores(node *yaml.Node) ([]string, map[string]result.Metric, error) {
	var names []string
	out := map[string]result.Metric{}
	ms := get(node, "metrics")
	if ms == nil {
		return nil, out, nil
	}
	if ms.Kind != yaml.MappingNode {
		return nil, nil, errors.New("metrics is not a mapping")
	}
	for i := 0; i+1 < len(ms.Content); i += 2 {
		metric := ms.Content[i].Value
		ss := get(ms.Content[i+1], "scores")
		if ss == nil || ss.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(ss.Content); j += 2 {
			score := ss.Content[j].Value
			m, ok := metricOf(ss.Content[j+1])
			if !ok {
				continue
			}
			name := metric + "_" + score
			if score == metric {
				name = metric
			}
			if _, dup := out[name]; !dup {
				names = append(names, name)
			}
			out[name] = m
		}
	}
	return names, out, nil
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
