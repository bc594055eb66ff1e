package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

//go:generate go run ./internal/gencatalog -catalog ../../shared/data/nemo/catalog.json -suites ../../shared/data/nemo/suites.yaml -out catalog_data.json

// catalogData is the generated catalog (see internal/gencatalog and docs/catalog.md). It is
// read-only: LoadCatalog decodes it into fresh values on every call.
//
//go:embed catalog_data.json
var catalogData []byte

// catalogFormatVersion is the format_version of catalog_data.json that this package reads.
const catalogFormatVersion = 2

// Task is one benchmark of the catalog: a NeMo Evaluator container task or a native task.
type Task struct {
	// Name is the qualified name "harness.task", e.g. "simple_evals.mmlu_pro" or "native.gsm8k".
	Name    string `json:"name"`
	Harness string `json:"harness"`
	Task    string `json:"task"`
	// Container, Image, Tag and Digest name the NeMo Evaluator image of a container task
	// (empty for native tasks); Digest is "sha256:…".
	Container string `json:"container,omitempty"`
	Image     string `json:"image,omitempty"`
	Tag       string `json:"tag,omitempty"`
	Digest    string `json:"digest,omitempty"`
	// EndpointTypes are the evalplan endpoint types (chat, completions) the task can run
	// against; empty means any type (embedding tasks need a capability instead).
	EndpointTypes []string `json:"endpoint_types"`
	// Capabilities are the endpoint capabilities the task needs (logprobs, vision, embedding).
	Capabilities []string `json:"capabilities,omitempty"`
	// Category is the catalog's category ("language-models"); empty where the catalog has none.
	Category string `json:"category"`
	// Defaults are the default params (config.params of the NeMo contract); numbers are float64.
	Defaults    map[string]any `json:"defaults,omitempty"`
	Description string         `json:"description,omitempty"`
	// Native is set for evalplan's own tasks.
	Native *Native `json:"native,omitempty"`
	// RawEndpointTypes are the catalog's endpoint_types as written (chat, completions, vlm,
	// embedding), before the mapping of DESIGN §2; empty for native tasks.
	RawEndpointTypes []string `json:"raw_endpoint_types,omitempty"`
	// Packages and NoPackages are the task's harness's (Harness.Packages, Harness.NoPackages),
	// set by LoadCatalog; both are empty for native tasks. The slice is shared by the tasks
	// of the harness and must not be modified.
	Packages   []string `json:"packages,omitempty"`
	NoPackages string   `json:"no_packages,omitempty"`
}

// Harness is one harness of the catalog's container tasks: the image every task of it runs
// in, pinned by digest, and the Python packages that hold the same harness code, for
// runtime = "venv".
type Harness struct {
	// Name is the harness name of its tasks ("simple_evals"), the framework.name of the
	// image's framework.yml.
	Name string `json:"name"`
	// Container, Image, Tag and Digest name the harness's image, as on its tasks.
	Container string `json:"container"`
	Image     string `json:"image"`
	Tag       string `json:"tag"`
	Digest    string `json:"digest"`
	// Packages are the exact pins (NAME==VERSION, sorted) of the environment that runs the
	// harness: nemo-evaluator, nvidia-eval-commons and the harness's own package. Empty when
	// no package of the harness is published; NoPackages then says so.
	Packages   []string `json:"packages,omitempty"`
	NoPackages string   `json:"no_packages,omitempty"`
}

// Native describes a native task's canonical dataset and scorer.
type Native struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Scorer is the scorer version, part of every run's identity ("gsm8k/1").
	Scorer string `json:"scorer"`
	// Origin names the upstream release when Source is a byte-identical mirror of it (or a
	// conversion of it); empty when Source is the upstream file itself.
	Origin string `json:"origin,omitempty"`
	// License is the dataset's licence.
	License string `json:"license,omitempty"`
	// Mirrors is the NeMo catalog task whose scoring this task reproduces exactly, sample by
	// sample ("simple_evals.mmlu"); empty when no NeMo task scores the same way.
	// providers/benchmark/native's TestConformanceWithNeMo checks the agreement against the real
	// package.
	Mirrors string `json:"mirrors,omitempty"`
	// MirrorsPackage is the NVIDIA package and version whose code Mirrors runs and the
	// scorer follows ("nvidia-simple-evals 26.3"); empty when Mirrors is.
	MirrorsPackage string `json:"mirrors_package,omitempty"`
}

// Catalog is the embedded benchmark catalog: container tasks, native tasks, suite presets and
// categories. A Catalog is immutable after LoadCatalog and safe for concurrent use; callers must
// not modify the Tasks it returns.
type Catalog struct {
	tasks       []*Task            // sorted by Name
	byName      map[string]*Task   // qualified name → task
	byTask      map[string][]*Task // bare task name → tasks, sorted by Name
	presets     map[string][]string
	presetDescs map[string]string
	presetNames []string            // sorted
	categories  []string            // sorted, hyphen form as in the catalog
	harnesses   []*Harness          // sorted by Name
	byHarness   map[string]*Harness // name → harness
}

// catalogFile is the layout of catalog_data.json.
type catalogFile struct {
	FormatVersion int          `json:"format_version"`
	Harnesses     []*Harness   `json:"harnesses"`
	Presets       []presetData `json:"presets"`
	Tasks         []*Task      `json:"tasks"`
}

// presetData is one suite preset in catalog_data.json.
type presetData struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// All marks a preset of every catalog task (suites.yaml's `benchmarks: "all"`).
	All        bool     `json:"all,omitempty"`
	Benchmarks []string `json:"benchmarks"`
}

// LoadCatalog decodes the embedded catalog and adds the native tasks. It keeps no package-level
// state: every call decodes anew (a few milliseconds, see BenchmarkLoadCatalog), so load once
// per command and share the result.
func LoadCatalog() (*Catalog, error) {
	return loadCatalog(catalogData)
}

// loadCatalog builds a Catalog from catalog_data.json's bytes plus the native tasks.
func loadCatalog(data []byte) (*Catalog, error) {
	var f catalogFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	if f.FormatVersion != catalogFormatVersion {
		return nil, fmt.Errorf("load catalog: format_version %d, want %d", f.FormatVersion, catalogFormatVersion)
	}
	c := &Catalog{
		byName:      make(map[string]*Task, len(f.Tasks)+4),
		byTask:      make(map[string][]*Task, len(f.Tasks)+4),
		presets:     make(map[string][]string, len(f.Presets)),
		presetDescs: make(map[string]string, len(f.Presets)),
		byHarness:   make(map[string]*Harness, len(f.Harnesses)),
	}
	if err := c.addHarnesses(f.Harnesses, f.Tasks); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	tasks := append(f.Tasks, nativeTasks()...)
	cats := map[string]bool{}
	for _, t := range tasks {
		if t == nil || t.Name != t.Harness+"."+t.Task {
			return nil, fmt.Errorf("load catalog: malformed task %+v", t)
		}
		if _, dup := c.byName[t.Name]; dup {
			return nil, fmt.Errorf("load catalog: task %q appears twice", t.Name)
		}
		c.byName[t.Name] = t
		c.byTask[t.Task] = append(c.byTask[t.Task], t)
		if t.Category != "" {
			cats[t.Category] = true
		}
	}
	c.tasks = slices.SortedFunc(slices.Values(tasks), byTaskName)
	for _, ts := range c.byTask {
		slices.SortFunc(ts, byTaskName)
	}
	for cat := range cats {
		c.categories = append(c.categories, cat)
	}
	slices.Sort(c.categories)
	if err := c.addPresets(f.Presets); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return c, nil
}

// addHarnesses indexes the harness entries and gives each container task its harness's
// packages. Every container task needs an entry with the same image.
func (c *Catalog) addHarnesses(harnesses []*Harness, tasks []*Task) error {
	for _, h := range harnesses {
		if h == nil || h.Name == "" || h.Name == NativeHarness {
			return fmt.Errorf("malformed harness %+v", h)
		}
		if _, dup := c.byHarness[h.Name]; dup {
			return fmt.Errorf("harness %q appears twice", h.Name)
		}
		if (len(h.Packages) == 0) == (h.NoPackages == "") {
			return fmt.Errorf("harness %q needs either packages or no_packages", h.Name)
		}
		c.byHarness[h.Name] = h
	}
	c.harnesses = slices.SortedFunc(slices.Values(harnesses), func(a, b *Harness) int { return strings.Compare(a.Name, b.Name) })
	for _, t := range tasks {
		if t == nil || t.Harness == NativeHarness {
			continue // a malformed task or a clash with a native task, reported by the caller
		}
		h, ok := c.byHarness[t.Harness]
		if !ok {
			return fmt.Errorf("task %q: harness %q has no entry in harnesses", t.Name, t.Harness)
		}
		if h.Image != t.Image || h.Digest != t.Digest {
			return fmt.Errorf("task %q: image %s@%s differs from its harness's %s@%s", t.Name, t.Image, t.Digest, h.Image, h.Digest)
		}
		t.Packages, t.NoPackages = h.Packages, h.NoPackages
	}
	return nil
}

// Harnesses returns the harnesses of the container tasks, sorted by name. The slice is the
// caller's; the harnesses are shared and must not be modified.
func (c *Catalog) Harnesses() []*Harness {
	return slices.Clone(c.harnesses)
}

// Harness returns the harness named name (container tasks' harnesses; not "native").
func (c *Catalog) Harness(name string) (*Harness, bool) {
	h, ok := c.byHarness[name]
	return h, ok
}

// byTaskName orders tasks by qualified name.
func byTaskName(a, b *Task) int { return strings.Compare(a.Name, b.Name) }

// Tasks returns every task, container and native, sorted by Name. The slice is the caller's;
// the tasks are shared and must not be modified.
func (c *Catalog) Tasks() []*Task {
	return slices.Clone(c.tasks)
}

// Get returns the task with the qualified name "harness.task".
func (c *Catalog) Get(qualified string) (*Task, bool) {
	t, ok := c.byName[qualified]
	return t, ok
}

// HasCategory reports whether name is a category of some task. The underscore form
// ("language_models") is accepted for the catalog's hyphen form ("language-models").
func (c *Catalog) HasCategory(name string) bool {
	_, ok := slices.BinarySearch(c.categories, normalizeCategory(name))
	return ok
}

// Categories returns the categories of the catalog's tasks, sorted, in the catalog's hyphen
// form. Tasks without a category belong to none.
func (c *Catalog) Categories() []string {
	return slices.Clone(c.categories)
}

// InCategory returns the tasks of a category (hyphen or underscore form), sorted by Name; nil
// for an unknown category.
func (c *Catalog) InCategory(name string) []*Task {
	name = normalizeCategory(name)
	if name == "" {
		return nil
	}
	var out []*Task
	for _, t := range c.tasks {
		if t.Category == name {
			out = append(out, t)
		}
	}
	return out
}

// normalizeCategory maps the underscore form of a category to the catalog's hyphen form.
func normalizeCategory(name string) string {
	return strings.ReplaceAll(name, "_", "-")
}
