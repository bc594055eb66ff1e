package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/evalplan/evalplan/plan/bounded"
	"github.com/evalplan/evalplan/schema"
)

// Settings defaults, relative to the configuration directory.
const (
	DefaultState       = "evalplan.state.json"
	DefaultOutputDir   = "output"
	DefaultCacheDir    = ".evalplan/cache"
	DefaultParallelism = 4
)

// errMark marks values that stand in for something that already failed with a diagnostic, so
// that later uses of them stay quiet instead of repeating the error.
const errMark Mark = "errored"

// loader holds the state of one Load call.
type loader struct {
	dir    string
	opts   LoadOptions
	parser *hclparse.Parser
	cfg    *Config
	diags  hcl.Diagnostics
	funcs  map[string]function.Function

	// blocks holds the top-level blocks by type, duplicates already removed.
	blocks map[string][]*hcl.Block
	// declared maps a reference root (var, local, endpoint, ...) to its declared names.
	declared map[string]map[string]hcl.Range
	// exporters maps exporter type to declared names.
	exporters map[string]map[string]hcl.Range
	// executors maps executor type to declared names.
	executors  map[string]map[string]hcl.Range
	localAttrs map[string]*hcl.Attribute
	localVals  map[string]cty.Value
	// localScopeValues counts the values put in scope to evaluate locals, for a test that
	// evaluation stays linear.
	localScopeValues int
	vars             map[string]*varDecl
	// syntaxErrors holds the files that failed to parse: their placeholder expressions stay
	// quiet instead of reporting follow-on errors.
	syntaxErrors map[string]bool
	ctx          *hcl.EvalContext
}

// Load reads the configuration in dir: every *.hcl file except *.evalvars.hcl in name order,
// the variables (defaults < EVALPLAN_VAR_name < *.auto.evalvars.hcl < -var/-var-file in order),
// locals, and every block. It reports all problems it finds, and returns the best Config it
// could build even when there are errors (never nil); when a configuration file does not
// parse, it reports only the syntax errors and decodes nothing.
func Load(dir string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	l := newLoader(dir, opts)
	l.load()
	l.scrubSecrets()
	l.cfg.hclFiles = l.parser.Files()
	sortDiagnostics(l.diags)
	return l.cfg, l.diags
}

// newLoader returns a loader for the configuration in dir.
func newLoader(dir string, opts LoadOptions) *loader {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return &loader{
		dir:          abs,
		opts:         opts,
		parser:       hclparse.NewParser(),
		funcs:        functions(abs, opts.Environ),
		blocks:       map[string][]*hcl.Block{},
		declared:     map[string]map[string]hcl.Range{},
		exporters:    map[string]map[string]hcl.Range{},
		executors:    map[string]map[string]hcl.Range{},
		syntaxErrors: map[string]bool{},
		cfg: &Config{
			Dir:          abs,
			Files:        map[string][]byte{},
			Variables:    map[string]*Variable{},
			GPUs:         map[string]*GPU{},
			Endpoints:    map[string]*Endpoint{},
			Datasets:     map[string]*Dataset{},
			Tasks:        map[string]*Task{},
			Suites:       map[string]*Suite{},
			Interceptors: map[string]*Interceptor{},
			Exporters:    map[string]*Exporter{},
			Executors:    map[string]*Executor{},
			Checks:       map[string]*Check{},
			Outputs:      map[string]*Output{},
		},
	}
}

// sortDiagnostics orders diagnostics by file and position; those without a source come first.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// HCLFiles returns the parsed configuration and variable files by the file name used in
// diagnostic ranges, for WriteDiagnostics.
func (c *Config) HCLFiles() map[string]*hcl.File { return c.hclFiles }

// EvalContext returns a child of c.Eval with extra root variables, e.g. "suite" with run
// results for checks and outputs, or "record" for a task's per-record expressions.
func (c *Config) EvalContext(extra map[string]cty.Value) *hcl.EvalContext {
	parent := c.Eval
	if parent == nil {
		parent = &hcl.EvalContext{}
	}
	child := parent.NewChild()
	child.Variables = extra
	return child
}

func (l *loader) addDiags(d hcl.Diagnostics) { l.diags = append(l.diags, d...) }

func (l *loader) errorf(rng *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng,
	})
}

func (l *loader) warnf(rng *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng,
	})
}

func (l *loader) load() {
	configFiles, autoVarFiles, ok := l.listFiles()
	if !ok {
		return
	}
	for _, name := range configFiles {
		l.parseConfigFile(name)
	}
	if len(l.syntaxErrors) > 0 {
		// A file that does not parse (an unclosed block, a missing value) is decoded from a
		// partial syntax tree: what follows would be follow-on errors (blocks "not expected
		// here", values "missing") that precede or drown the real one. Report only the
		// syntax errors, of every file, and stop.
		return
	}
	if len(l.blocks) == 0 && len(l.syntaxErrors) == 0 && !l.diags.HasErrors() {
		l.errorf(nil, "Empty configuration",
			"The configuration files in %s (%s) declare nothing. An empty configuration is not applied: it would forget every run the state records. Declare the endpoints and suites to evaluate (see `evalplan init`); to forget runs on purpose, use `evalplan state rm`.",
			l.dir, strings.Join(configFiles, ", "))
		return
	}
	l.declareVariables()
	l.assignVariables(autoVarFiles)
	l.evalLocals()
	l.buildContext()
	l.decodeSettings()
	l.decodeBlocks()
}

// listFiles returns the configuration files and the *.auto.evalvars.hcl files of l.dir, each
// in name order.
func (l *loader) listFiles() (configs, autoVars []string, ok bool) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		l.errorf(nil, "Cannot read configuration directory", "Reading %s failed: %s. Run evalplan in a directory that holds eval.hcl, or pass the right directory.", l.dir, err)
		return nil, nil, false
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".hcl") {
			continue
		}
		switch {
		case strings.HasSuffix(name, ".auto.evalvars.hcl"):
			autoVars = append(autoVars, name)
		case strings.HasSuffix(name, ".evalvars.hcl"):
		default:
			configs = append(configs, name)
		}
	}
	sort.Strings(configs)
	sort.Strings(autoVars)
	if len(configs) == 0 {
		l.errorf(nil, "No configuration files", "The directory %s has no *.hcl configuration files. Create eval.hcl there (see `evalplan init`), or run evalplan in the directory that holds it.", l.dir)
		return nil, nil, false
	}
	return configs, autoVars, true
}

// readFile reads a file named relative to l.dir (or absolute) and records it in Config.Files
// under the name used in diagnostics.
func (l *loader) readFile(path string) (key string, src []byte, ok bool) {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(l.dir, path)
	}
	key = path
	if rel, err := filepath.Rel(l.dir, full); err == nil && !strings.HasPrefix(rel, "..") {
		key = filepath.ToSlash(rel)
	}
	src, err := bounded.ReadFile(full, bounded.Config, "configuration file")
	if err != nil {
		l.errorf(nil, "Cannot read file", "Reading %s failed: %s.", path, err)
		return key, nil, false
	}
	if depth, at := bounded.Depth(src, bounded.Nesting); depth > bounded.Nesting {
		line := 1 + strings.Count(string(src[:at]), "\n")
		l.errorf(&hcl.Range{Filename: key, Start: hcl.Pos{Line: line, Column: 1, Byte: at}, End: hcl.Pos{Line: line, Column: 1, Byte: at}},
			"Nesting too deep", "Brackets and braces are nested more than %d deep here; evalplan does not read such a file. Flatten the expression.", bounded.Nesting)
		return key, nil, false
	}
	l.cfg.Files[key] = src
	return key, src, true
}

func (l *loader) parseConfigFile(name string) {
	key, src, ok := l.readFile(name)
	if !ok {
		return
	}
	f, diags := l.parser.ParseHCL(src, key)
	l.addDiags(diags)
	if diags.HasErrors() {
		l.syntaxErrors[key] = true
		return
	}
	if f == nil || f.Body == nil {
		return
	}
	content, diags := f.Body.Content(schema.FileBody())
	l.addDiags(diags)
	for _, b := range content.Blocks {
		l.addBlock(b)
	}
}

// refRoot returns the root name that blocks of a type are referenced by (var for variable,
// the block type itself otherwise).
func refRoot(blockType string) string {
	if blockType == schema.BlockVariable {
		return "var"
	}
	return blockType
}

// addBlock records a top-level block, rejecting a second block of the same type and name.
func (l *loader) addBlock(b *hcl.Block) {
	switch b.Type {
	case schema.BlockLocals:
		l.blocks[b.Type] = append(l.blocks[b.Type], b)
		return
	case schema.BlockEvalplan:
		if prev := l.blocks[b.Type]; len(prev) > 0 {
			l.errorf(b.DefRange.Ptr(), "Duplicate evalplan block",
				"An evalplan settings block was already declared at %s. Only one is allowed; merge the two.", rangeString(prev[0].DefRange))
			return
		}
		l.blocks[b.Type] = append(l.blocks[b.Type], b)
		return
	case schema.BlockExporter:
		typ, name := b.Labels[0], b.Labels[1]
		if l.exporters[typ] == nil {
			l.exporters[typ] = map[string]hcl.Range{}
		}
		if prev, dup := l.exporters[typ][name]; dup {
			l.errorf(b.DefRange.Ptr(), "Duplicate exporter block",
				"An exporter %q %q was already declared at %s. Exporter names must be unique within a type; rename or remove one.", typ, name, rangeString(prev))
			return
		}
		l.exporters[typ][name] = b.DefRange
		l.blocks[b.Type] = append(l.blocks[b.Type], b)
		return
	case schema.BlockExecutor:
		l.addExecutor(b)
		return
	}
	root := refRoot(b.Type)
	name := b.Labels[0]
	if l.declared[root] == nil {
		l.declared[root] = map[string]hcl.Range{}
	}
	if prev, dup := l.declared[root][name]; dup {
		l.errorf(b.DefRange.Ptr(), fmt.Sprintf("Duplicate %s block", b.Type),
			"%s %s named %q was already declared at %s. Names must be unique within a block type; rename or remove one.",
			strings.ToUpper(article(b.Type)[:1])+article(b.Type)[1:], b.Type, name, rangeString(prev))
		return
	}
	if !validName(name) {
		l.errorf(b.LabelRanges[0].Ptr(), "Invalid name",
			"%q is not a valid %s name. A name starts with a letter or underscore and holds only letters, digits, underscores and dashes.", name, b.Type)
	} else if len(name) > MaxNameLen {
		l.errorf(b.LabelRanges[0].Ptr(), "Name too long",
			"The %s name is %d characters long; names become directory names of run directories and may be at most %d. Use a shorter name.", b.Type, len(name), MaxNameLen)
	}
	l.declared[root][name] = b.DefRange
	l.blocks[b.Type] = append(l.blocks[b.Type], b)
}

// MaxNameLen bounds block names, which become directory names (file systems allow 255
// bytes; a run directory's name adds nothing to a name, but leave room for suffixes such as
// ".replaced-TIMESTAMP").
const MaxNameLen = 200

// validName reports whether s is a valid HCL identifier, so that it can be referenced.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if i == 0 && !letter {
			return false
		}
		if !letter && r != '-' && !(r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// rangeString renders a range as FILE:LINE:COL.
func rangeString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// names returns the sorted keys of a set of declared names.
func names[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// buildContext builds l.ctx: var, local, objects for every block type (so that references
// type-check) and the functions. task.X evaluates to the string "task.X", a benchmark key.
func (l *loader) buildContext() {
	vars := map[string]cty.Value{
		"var":   objectOf(l.varValues()),
		"local": objectOf(l.localValues()),
	}
	for _, root := range []string{"endpoint", "dataset", "gpu", "suite", "interceptor"} {
		m := map[string]cty.Value{}
		for n := range l.declared[root] {
			m[n] = cty.DynamicVal
		}
		vars[root] = objectOf(m)
	}
	tasks := map[string]cty.Value{}
	for n := range l.declared["task"] {
		tasks[n] = cty.StringVal("task." + n)
	}
	vars["task"] = objectOf(tasks)
	exp := map[string]cty.Value{}
	for typ, ns := range l.exporters {
		m := map[string]cty.Value{}
		for n := range ns {
			m[n] = cty.DynamicVal
		}
		exp[typ] = objectOf(m)
	}
	vars["exporter"] = objectOf(exp)
	l.ctx = &hcl.EvalContext{Variables: vars, Functions: l.funcs}
	l.cfg.Eval = l.ctx
}

func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}
