package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtureCatalog is a small synthetic catalog.json with one task per endpoint type.
const fixtureCatalog = `[
 {"container": "h", "image": "reg/h", "tag": "1", "harness": "h", "task": "chat_task",
  "qualified_name": "h.chat_task", "endpoint_types": ["chat"], "required_capabilities": [],
  "category": "language-models", "default_params": {"temperature": 1e-07, "parallelism": 10, "task": "x"},
  "container_digest": "sha256:aa", "description": " A chat task. ", "arch": "multiarch"},
 {"container": "h", "image": "reg/h", "tag": "1", "harness": "h", "task": "lp",
  "qualified_name": "h.lp", "endpoint_types": ["completions"], "required_capabilities": ["logprobs"],
  "category": "language-models", "default_params": {}, "container_digest": "sha256:aa", "description": "LP"},
 {"container": "v", "image": "reg/v", "tag": "1", "harness": "v", "task": "see",
  "qualified_name": "v.see", "endpoint_types": ["vlm"], "required_capabilities": [],
  "category": "vision-language", "default_params": {"top_p": 0.9999999}, "container_digest": "sha256:bb", "description": "VLM"},
 {"container": "e", "image": "reg/e", "tag": "1", "harness": "e", "task": "emb",
  "qualified_name": "e.emb", "endpoint_types": ["embedding"], "required_capabilities": [],
  "category": null, "default_params": {}, "container_digest": "sha256:cc", "description": "Embed"}
]`

// fixtureSuites is a small synthetic suites.yaml.
const fixtureSuites = `suites:
  small:
    description: "Small"
    benchmarks: ["h.chat_task", "old.name", "gone", "h.chat_task"]
  everything:
    description: "All (3+)"
    benchmarks: "all"
  custom:
    benchmarks: []
`

// fixtureDecisions decides the two fixture names the catalog lacks.
func fixtureDecisions() map[string]presetDecision {
	return map[string]presetDecision{
		"old.name": {To: "h.lp", Reason: "renamed"},
		"gone":     {Reason: "removed"},
	}
}

// fixturePackages gives the fixture's harnesses packages, or a reason for none.
func fixturePackages() map[string]harnessPackage {
	return map[string]harnessPackage{
		"h": {Packages: []string{"nvidia-h==26.3"}},
		"v": {Packages: []string{"nvidia-v==25.10", "extra-dep==1.0"}},
		"e": {None: "no package"},
	}
}

func TestGenerate(t *testing.T) {
	out, decisions, err := generate([]byte(fixtureCatalog), []byte(fixtureSuites), fixtureDecisions(), fixturePackages())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format_version":2,
"harnesses":[
{"name":"e","container":"e","image":"reg/e","tag":"1","digest":"sha256:cc","no_packages":"no package"},
{"name":"h","container":"h","image":"reg/h","tag":"1","digest":"sha256:aa","packages":["nemo-evaluator==0.2.8","nvidia-eval-commons==1.0.5","nvidia-h==26.3"]},
{"name":"v","container":"v","image":"reg/v","tag":"1","digest":"sha256:bb","packages":["extra-dep==1.0","nemo-evaluator==0.2.8","nvidia-eval-commons==1.0.5","nvidia-v==25.10"]}
],
"presets":[
{"name":"custom","benchmarks":[]},
{"name":"everything","description":"Every benchmark of the catalog: all container and native tasks","all":true,"benchmarks":[]},
{"name":"small","description":"Small","benchmarks":["h.chat_task","h.lp"]}
],
"tasks":[
{"name":"e.emb","harness":"e","task":"emb","container":"e","image":"reg/e","tag":"1","digest":"sha256:cc","endpoint_types":[],"capabilities":["embedding"],"category":"","description":"Embed","raw_endpoint_types":["embedding"]},
{"name":"h.chat_task","harness":"h","task":"chat_task","container":"h","image":"reg/h","tag":"1","digest":"sha256:aa","endpoint_types":["chat"],"category":"language-models","defaults":{"parallelism":10,"task":"x","temperature":1e-07},"description":"A chat task.","raw_endpoint_types":["chat"]},
{"name":"h.lp","harness":"h","task":"lp","container":"h","image":"reg/h","tag":"1","digest":"sha256:aa","endpoint_types":["completions"],"capabilities":["logprobs"],"category":"language-models","description":"LP","raw_endpoint_types":["completions"]},
{"name":"v.see","harness":"v","task":"see","container":"v","image":"reg/v","tag":"1","digest":"sha256:bb","endpoint_types":["chat"],"capabilities":["vision"],"category":"vision-language","defaults":{"top_p":0.9999999},"description":"VLM","raw_endpoint_types":["vlm"]}
]}
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if !json.Valid(out) {
		t.Error("output is not valid JSON")
	}
	wantDecisions := []decision{
		{Preset: "small", Name: "old.name", To: "h.lp", Reason: "renamed"},
		{Preset: "small", Name: "gone", Reason: "removed"},
	}
	if diff := cmp.Diff(wantDecisions, decisions); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	again, _, err := generate([]byte(fixtureCatalog), []byte(fixtureSuites), fixtureDecisions(), fixturePackages())
	if err != nil || !bytes.Equal(out, again) {
		t.Errorf("second generate differs (err %v)", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	okSuites := "suites:\n  s:\n    benchmarks: [\"h.chat_task\"]\n"
	chatTask := `{"container":"h","image":"reg/h","tag":"1","harness":"h","task":"chat_task","qualified_name":"h.chat_task","endpoint_types":["chat"],"required_capabilities":[],"category":"c","default_params":{},"container_digest":"sha256:aa"}`
	otherImage := strings.NewReplacer(`"task":"chat_task"`, `"task":"t2"`, `"h.chat_task"`, `"h.t2"`, `sha256:aa`, `sha256:ab`).Replace(chatTask)
	pkgs := func(p harnessPackage) map[string]harnessPackage { return map[string]harnessPackage{"h": p} }
	tests := []struct {
		name, catalog, suites string
		decisions             map[string]presetDecision
		packages              map[string]harnessPackage
		want                  string
	}{
		{"harness without entry", "[" + chatTask + "]", okSuites, nil, map[string]harnessPackage{}, `harness "h" is not in harnessPackages`},
		{"entry without harness", "[" + chatTask + "]", okSuites, nil, map[string]harnessPackage{"h": {None: "x"}, "gone": {None: "x"}}, `entry for "gone", which is not a harness`},
		{"both", "[" + chatTask + "]", okSuites, nil, pkgs(harnessPackage{Packages: []string{"a==1"}, None: "x"}), "both packages and a reason"},
		{"neither", "[" + chatTask + "]", okSuites, nil, pkgs(harnessPackage{}), "neither packages nor a reason"},
		{"loose pin", "[" + chatTask + "]", okSuites, nil, pkgs(harnessPackage{Packages: []string{"nvidia-h>=26"}}), `"nvidia-h>=26" is not an exact pin`},
		{"two images", "[" + chatTask + "," + otherImage + "]", okSuites, nil, pkgs(harnessPackage{None: "x"}), `harness "h" has two images`},
		{"bad json", `[`, okSuites, nil, nil, "decode catalog"},
		{"duplicate", "[" + chatTask + "," + chatTask + "]", okSuites, nil, nil, "appears twice"},
		{"unknown endpoint type", strings.Replace("["+chatTask+"]", `["chat"]`, `["audio"]`, 1), okSuites, nil, nil, `unknown endpoint type "audio"`},
		{"unknown capability", strings.Replace("["+chatTask+"]", `"required_capabilities":[]`, `"required_capabilities":["tools"]`, 1), okSuites, nil, nil, `unknown required capability "tools"`},
		{"no digest", strings.Replace("["+chatTask+"]", `sha256:aa`, ``, 1), okSuites, nil, nil, "digest"},
		{"bad qualified name", strings.Replace("["+chatTask+"]", `"qualified_name":"h.chat_task"`, `"qualified_name":"x"`, 1), okSuites, nil, nil, "qualified_name"},
		{"native harness", strings.NewReplacer(`"harness":"h"`, `"harness":"native"`, `"h.chat_task"`, `"native.chat_task"`).Replace("[" + chatTask + "]"), okSuites, nil, nil, "reserved"},
		{"undecided name", "[" + chatTask + "]", "suites:\n  s:\n    benchmarks: [\"x.y\"]\n", nil, nil, `"x.y" is not in the catalog and presetDecisions has no decision`},
		{"decision to unknown", "[" + chatTask + "]", "suites:\n  s:\n    benchmarks: [\"x.y\"]\n", map[string]presetDecision{"x.y": {To: "z.z"}}, nil, `maps to "z.z"`},
		{"unused decision", "[" + chatTask + "]", okSuites, map[string]presetDecision{"x.y": {}}, nil, `entry for "x.y", which no preset needs`},
		{"bad all", "[" + chatTask + "]", "suites:\n  s:\n    benchmarks: \"some\"\n", nil, nil, `want a list or "all"`},
		{"bad yaml", "[" + chatTask + "]", "suites: [", nil, nil, "decode suites"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			packages := tt.packages
			if packages == nil {
				packages = map[string]harnessPackage{"h": {None: "no package"}}
			}
			_, _, err := generate([]byte(tt.catalog), []byte(tt.suites), tt.decisions, packages)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	catalogPath := filepath.Join(dir, "catalog.json")
	suitesPath := filepath.Join(dir, "suites.yaml")
	outPath := filepath.Join(dir, "out.json")
	// The real tables need the real names: on a fixture, run fails on the first of them.
	suites := "suites:\n  s:\n    benchmarks: [\"h.chat_task\"]\n"
	if err := os.WriteFile(catalogPath, []byte(fixtureCatalog), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(suitesPath, []byte(suites), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err := run([]string{"-catalog", catalogPath, "-suites", suitesPath, "-out", outPath}, &stdout)
	if err == nil || !strings.Contains(err.Error(), "which is not a harness of the catalog") {
		t.Fatalf("run with the real tables on a fixture: err = %v, want an unknown-harness error", err)
	}
	if err := run([]string{"-suites", suitesPath}, &stdout); err == nil {
		t.Error("run without -catalog succeeded")
	}
}

func TestWriteDecisions(t *testing.T) {
	var buf bytes.Buffer
	err := writeDecisions(&buf, []decision{
		{Preset: "p", Name: "a.b", To: "a.c", Reason: "renamed"},
		{Preset: "p", Name: "x", Reason: "gone"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "| preset | name in suites.yaml | decision | reason |\n|---|---|---|---|\n" +
		"| p | `a.b` | mapped to `a.c` | renamed |\n| p | `x` | dropped | gone |\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCatalogDataUpToDate regenerates schema/catalog_data.json from the shared NeMo data and
// compares it with the committed file. The shared folder sits beside the repository and is
// absent in some clones: then, and only then, the test skips.
func TestCatalogDataUpToDate(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "..", "shared", "data", "nemo")
	catalogJSON, err := os.ReadFile(filepath.Join(shared, "catalog.json"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no shared data at %s", shared)
	}
	if err != nil {
		t.Fatal(err)
	}
	suitesYAML, err := os.ReadFile(filepath.Join(shared, "suites.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := generate(catalogJSON, suitesYAML, presetDecisions(), harnessPackages())
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "catalog_data.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Error("schema/catalog_data.json is stale: run `go generate ./schema` and commit the result")
	}
}
