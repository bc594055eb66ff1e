package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/evalplan/evalplan/schema"
)

// formatVersion is catalog_data.json's format_version; package schema checks it.
const formatVersion = 2

// presetDecision says what becomes of a suites.yaml entry that the catalog lacks: To is the
// catalog name it maps to, or empty to drop it.
type presetDecision struct {
	To     string
	Reason string
}

// presetDecisions returns every decision for suites.yaml names the catalog (26.03) lacks,
// made by comparing with orchestrator_catalog_25.11.yaml. A name the catalog lacks and this
// table does not decide fails the generator, so every change is a deliberate edit here.
func presetDecisions() map[string]presetDecision {
	return map[string]presetDecision{
		"ifeval": {
			To: "lm-evaluation-harness.ifeval",
			Reason: "bare name, now ambiguous (lm-evaluation-harness.ifeval, codec.ifeval); in 25.11 only " +
				"lm-evaluation-harness had it, and it is a chat task like the rest of the quick preset",
		},
		"bigcode-evaluation-harness.mbpp": {
			To: "bigcode-evaluation-harness.mbpp-completions",
			Reason: "25.11's task was split into mbpp-chat and mbpp-completions; completions like the " +
				"preset's bigcode-evaluation-harness.humaneval and .humanevalplus",
		},
		"bigcode-evaluation-harness.mbppplus": {
			To: "bigcode-evaluation-harness.mbppplus-completions",
			Reason: "25.11's task was split into mbppplus-chat and mbppplus-completions; completions like " +
				"the preset's bigcode-evaluation-harness.humaneval and .humanevalplus",
		},
		"lm-evaluation-harness.minerva_math": {
			To: "lm-evaluation-harness.adlr_minerva_math_nemo_4_shot",
			Reason: "in neither 25.11 nor 26.03; the only Minerva-Math task of lm-evaluation-harness " +
				"in both (4-shot, completions)",
		},
		"lm-evaluation-harness.bbq": {
			To: "lm-evaluation-harness.bbq_chat",
			Reason: "25.11's task was split into bbq_chat and bbq_completions; chat like the rest of " +
				"the safety preset",
		},
	}
}

// decision is one applied presetDecision, for the report.
type decision struct {
	Preset, Name, To, Reason string
}

// nemoTask is the part of a catalog.json entry that evalplan keeps.
type nemoTask struct {
	Container            string         `json:"container"`
	Image                string         `json:"image"`
	Tag                  string         `json:"tag"`
	Harness              string         `json:"harness"`
	Task                 string         `json:"task"`
	QualifiedName        string         `json:"qualified_name"`
	EndpointTypes        []string       `json:"endpoint_types"`
	RequiredCapabilities []string       `json:"required_capabilities"`
	Category             *string        `json:"category"`
	DefaultParams        map[string]any `json:"default_params"`
	ContainerDigest      string         `json:"container_digest"`
	Description          string         `json:"description"`
}

// suitesFile is the layout of suites.yaml.
type suitesFile struct {
	Suites map[string]struct {
		Description string `yaml:"description"`
		// Benchmarks is a list of names, or the string "all".
		Benchmarks any `yaml:"benchmarks"`
	} `yaml:"suites"`
}

// dataPreset is one preset of catalog_data.json (schema's presetData).
type dataPreset struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	All         bool     `json:"all,omitempty"`
	Benchmarks  []string `json:"benchmarks"`
}

// generate converts catalog.json and suites.yaml into catalog_data.json: deterministic, one
// harness, preset or task per line, each sorted by name. packages gives every harness's
// Python packages (harnessPackages).
func generate(catalogJSON, suitesYAML []byte, decisions map[string]presetDecision, packages map[string]harnessPackage) ([]byte, []decision, error) {
	tasks, err := convertTasks(catalogJSON)
	if err != nil {
		return nil, nil, err
	}
	harnesses, err := convertHarnesses(tasks, packages)
	if err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	for _, t := range tasks {
		known[t.Name] = true
	}
	presets, applied, err := convertPresets(suitesYAML, known, decisions)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"format_version\":%d,\n\"harnesses\":[\n", formatVersion)
	for i, h := range harnesses {
		if err := writeLine(&buf, h, i == len(harnesses)-1); err != nil {
			return nil, nil, err
		}
	}
	buf.WriteString("],\n\"presets\":[\n")
	for i, p := range presets {
		if err := writeLine(&buf, p, i == len(presets)-1); err != nil {
			return nil, nil, err
		}
	}
	buf.WriteString("],\n\"tasks\":[\n")
	for i, t := range tasks {
		if err := writeLine(&buf, t, i == len(tasks)-1); err != nil {
			return nil, nil, err
		}
	}
	buf.WriteString("]}\n")
	return buf.Bytes(), applied, nil
}

// writeLine writes v as one line of minified JSON, with a comma unless it is the last.
func writeLine(buf *bytes.Buffer, v any, last bool) error {
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := bytes.TrimSuffix(line.Bytes(), []byte("\n"))
	buf.Write(b)
	if !last {
		buf.WriteByte(',')
	}
	buf.WriteByte('\n')
	return nil
}

// convertTasks decodes catalog.json and maps every entry to a schema.Task, sorted by name.
func convertTasks(catalogJSON []byte) ([]*schema.Task, error) {
	dec := json.NewDecoder(bytes.NewReader(catalogJSON))
	dec.UseNumber() // keep default params exactly as written
	var raw []nemoTask
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode catalog: %w", err)
	}
	seen := map[string]bool{}
	tasks := make([]*schema.Task, 0, len(raw))
	for _, r := range raw {
		t, err := convertTask(r)
		if err != nil {
			return nil, fmt.Errorf("catalog task %q: %w", r.QualifiedName, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("catalog task %q appears twice", t.Name)
		}
		seen[t.Name] = true
		tasks = append(tasks, t)
	}
	slices.SortFunc(tasks, func(a, b *schema.Task) int { return strings.Compare(a.Name, b.Name) })
	return tasks, nil
}

// convertTask maps one catalog entry, applying DESIGN §2's endpoint type mapping: chat → chat,
// completions → completions, vlm → chat + capability vision, embedding → capability embedding,
// required_capabilities [logprobs] → capability logprobs.
func convertTask(r nemoTask) (*schema.Task, error) {
	if r.QualifiedName != r.Harness+"."+r.Task || r.Harness == "" || r.Task == "" {
		return nil, fmt.Errorf("qualified_name is not harness.task (%q, %q)", r.Harness, r.Task)
	}
	if r.Harness == schema.NativeHarness {
		return nil, fmt.Errorf("harness %q is reserved for evalplan's native tasks", r.Harness)
	}
	if !strings.HasPrefix(r.ContainerDigest, "sha256:") || r.Image == "" {
		return nil, fmt.Errorf("image %q or digest %q missing", r.Image, r.ContainerDigest)
	}
	types, caps := map[string]bool{}, map[string]bool{}
	for _, et := range r.EndpointTypes {
		switch et {
		case "chat", "completions":
			types[et] = true
		case "vlm":
			types["chat"] = true
			caps["vision"] = true
		case "embedding":
			caps["embedding"] = true
		default:
			return nil, fmt.Errorf("unknown endpoint type %q: add its mapping to gencatalog", et)
		}
	}
	if len(r.EndpointTypes) == 0 {
		return nil, fmt.Errorf("no endpoint types")
	}
	for _, c := range r.RequiredCapabilities {
		if c != "logprobs" {
			return nil, fmt.Errorf("unknown required capability %q: add its mapping to gencatalog", c)
		}
		caps[c] = true
	}
	t := &schema.Task{
		Name:             r.QualifiedName,
		Harness:          r.Harness,
		Task:             r.Task,
		Container:        r.Container,
		Image:            r.Image,
		Tag:              r.Tag,
		Digest:           r.ContainerDigest,
		EndpointTypes:    sortedKeys(types),
		Capabilities:     sortedKeys(caps),
		Defaults:         r.DefaultParams,
		Description:      strings.TrimSpace(r.Description),
		RawEndpointTypes: slices.Sorted(slices.Values(r.EndpointTypes)),
	}
	if t.EndpointTypes == nil {
		t.EndpointTypes = []string{} // "any type": written as [] so the field is always present
	}
	if r.Category != nil {
		t.Category = *r.Category
	}
	if len(t.Defaults) == 0 {
		t.Defaults = nil
	}
	return t, nil
}

// sortedKeys returns the keys of a set, sorted; nil for an empty set.
func sortedKeys(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// convertPresets decodes suites.yaml and resolves each preset's names against the catalog,
// applying decisions (presetDecisions) to names the catalog lacks.
func convertPresets(suitesYAML []byte, known map[string]bool, decisions map[string]presetDecision) ([]dataPreset, []decision, error) {
	var f suitesFile
	if err := yaml.Unmarshal(suitesYAML, &f); err != nil {
		return nil, nil, fmt.Errorf("decode suites: %w", err)
	}
	used := map[string]bool{}
	var presets []dataPreset
	var applied []decision
	for _, name := range slices.Sorted(maps.Keys(f.Suites)) {
		s := f.Suites[name]
		p := dataPreset{Name: name, Description: s.Description, Benchmarks: []string{}}
		switch b := s.Benchmarks.(type) {
		case nil:
		case string:
			if b != "all" {
				return nil, nil, fmt.Errorf("suite %q: benchmarks %q: want a list or \"all\"", name, b)
			}
			p.All = true
			// suites.yaml's text counts benchmarks of an older catalog ("318+").
			p.Description = "Every benchmark of the catalog: all container and native tasks"
		case []any:
			for _, item := range b {
				bench, ok := item.(string)
				if !ok {
					return nil, nil, fmt.Errorf("suite %q: benchmark %v is not a string", name, item)
				}
				if !known[bench] {
					d, ok := decisions[bench]
					if !ok {
						return nil, nil, fmt.Errorf("suite %q: %q is not in the catalog and presetDecisions has no decision for it", name, bench)
					}
					if d.To != "" && !known[d.To] {
						return nil, nil, fmt.Errorf("suite %q: %q maps to %q, which is not in the catalog", name, bench, d.To)
					}
					used[bench] = true
					applied = append(applied, decision{Preset: name, Name: bench, To: d.To, Reason: d.Reason})
					bench = d.To
				}
				if bench != "" && !slices.Contains(p.Benchmarks, bench) {
					p.Benchmarks = append(p.Benchmarks, bench)
				}
			}
		default:
			return nil, nil, fmt.Errorf("suite %q: benchmarks: want a list or \"all\"", name)
		}
		presets = append(presets, p)
	}
	for _, name := range slices.Sorted(maps.Keys(decisions)) {
		if !used[name] {
			return nil, nil, fmt.Errorf("presetDecisions has an entry for %q, which no preset needs: remove it", name)
		}
	}
	return presets, applied, nil
}
