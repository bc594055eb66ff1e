package main

import (
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
	"github.com/evalplan/evalplan/schema/scaffold"
	"github.com/hashicorp/hcl/v2"
)

// initFlags are init's flags: where to write, and an answer for every wizard question.
type initFlags struct {
	dir            string
	force          bool
	nonInteractive bool
	noColor        bool

	name, url, model, typ, apiKeyEnv string
	vllm                             bool
	runtime                          string
	tensorParallelSize               int
	gpuMemoryUtilization             float64
	maxModelLen                      int

	preset                  string
	harnessRuntime          string
	categories, benchmarks  listFlag
	limitSamples            optFloat
	temperature, checkFloor optFloat
	parallelism             optInt

	mlflow, mlflowExperiment string
	managedMLflow, local     bool
}

// vllmFlags are the flags that only a managed vLLM endpoint takes.
func vllmFlags() []string {
	return []string{"runtime", "tensor-parallel-size", "gpu-memory-utilization", "max-model-len"}
}

func (f *initFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", ".", "write DIR/eval.hcl (DIR is created if missing)")
	fs.BoolVar(&f.force, "force", false, "overwrite an existing eval.hcl")
	fs.BoolVar(&f.nonInteractive, "non-interactive", false, "take every answer from flags, even on a terminal")
	fs.BoolVar(&f.noColor, "no-color", false, "disable colour in the output")

	fs.StringVar(&f.url, "url", "", "base URL of a running OpenAI-compatible server, ending in /v1")
	fs.BoolVar(&f.vllm, "vllm", false, "let evalplan start a vLLM server on this machine's GPUs (instead of -url)")
	fs.StringVar(&f.model, "model", "", "model name to request (a Hugging Face ID for -vllm), e.g. Qwen/Qwen2.5-7B-Instruct")
	fs.StringVar(&f.name, "name", "", "endpoint block name (default: derived from -model)")
	fs.StringVar(&f.typ, "type", scaffold.DefaultType, "endpoint type: chat or completions")
	fs.StringVar(&f.apiKeyEnv, "api-key-env", "", "NAME of the environment variable holding the API key (the file reads env(\"NAME\"))")
	fs.StringVar(&f.runtime, "runtime", scaffold.DefaultRuntime, "vLLM runtime: docker or process (vllm on PATH)")
	fs.IntVar(&f.tensorParallelSize, "tensor-parallel-size", scaffold.DefaultTensorParallelSize, "vLLM: GPUs to split the model over")
	fs.Float64Var(&f.gpuMemoryUtilization, "gpu-memory-utilization", scaffold.DefaultGPUMemoryUtilization, "vLLM: fraction of GPU memory to use")
	fs.IntVar(&f.maxModelLen, "max-model-len", 0, "vLLM: context length cap in tokens (default: the model's)")

	fs.StringVar(&f.preset, "preset", "", "a preset suite (see: evalplan catalog presets)")
	fs.Var(&f.categories, "categories", "comma-separated categories (see: evalplan catalog categories; repeatable)")
	fs.Var(&f.benchmarks, "benchmarks", "comma-separated benchmark names (see: evalplan catalog search WORD; repeatable)")
	fs.Var(&f.limitSamples, "limit-samples", "samples per benchmark: N, or a fraction 0 < f < 1 (default: all)")
	fs.Var(&f.temperature, "temperature", "sampling temperature (default: each benchmark's)")
	fs.Var(&f.parallelism, "parallelism", "requests at once per run (default: each runner's)")
	fs.StringVar(&f.harnessRuntime, "harness-runtime", scaffold.DefaultHarnessRuntime, "how container benchmarks run: docker (their catalog images) or venv (their Python packages, without Docker)")

	fs.StringVar(&f.mlflow, "mlflow", "", "export to the MLflow server at this tracking URI")
	fs.StringVar(&f.mlflowExperiment, "mlflow-experiment", "", "MLflow experiment (default "+scaffold.DefaultMLflowExperiment+"; implies an MLflow exporter)")
	fs.BoolVar(&f.managedMLflow, "managed-mlflow", false, "start a local MLflow server when none answers (implies an MLflow exporter at "+scaffold.DefaultMLflowURI+" unless -mlflow)")
	fs.BoolVar(&f.local, "local", false, "also write results.jsonl and results.csv (a local exporter)")
	fs.Var(&f.checkFloor, "check-floor", "add a check that every score is at least this (e.g. 0.5)")
}

// answers turns the flags into answers: the whole answer set off a terminal, the defaults
// of the wizard on one.
func (f *initFlags) answers() *scaffold.Answers {
	a := &scaffold.Answers{
		Endpoint: scaffold.Endpoint{Name: f.name, URL: f.url, Model: f.model, Type: f.typ, APIKeyEnv: f.apiKeyEnv},
		Suite: scaffold.Suite{
			Preset: f.preset, Categories: f.categories, Benchmarks: f.benchmarks,
			LimitSamples: f.limitSamples.v, Temperature: f.temperature.v, Parallelism: f.parallelism.v,
			Runtime: f.harnessRuntime,
		},
		Local:      f.local,
		CheckFloor: f.checkFloor.v,
	}
	if f.vllm {
		a.Endpoint.VLLM = &scaffold.VLLM{
			Runtime: f.runtime, TensorParallelSize: f.tensorParallelSize,
			GPUMemoryUtilization: f.gpuMemoryUtilization, MaxModelLen: f.maxModelLen,
		}
	}
	if f.mlflow != "" || f.managedMLflow || f.mlflowExperiment != "" {
		a.MLflow = &scaffold.MLflow{TrackingURI: f.mlflow, Experiment: f.mlflowExperiment, Managed: f.managedMLflow}
	}
	return a
}

func cmdInit(c *cli, args []string) int {
	var f initFlags
	fs := newFlagSet(c, "init", "init [-dir DIR] [-force] [-non-interactive] [answers as flags]")
	f.register(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(c.stderr, "Error: init takes no arguments; write to another directory with -dir DIR")
		return exitError
	}
	if !c.checkVLLMFlags(fs, f.vllm) {
		return exitError
	}
	dir, path, ok := c.initTarget(f.dir, f.force)
	if !ok {
		return exitError
	}
	shown := rel(c.dir, path)
	cat, err := schema.LoadCatalog()
	if err != nil {
		fmt.Fprintln(c.stderr, "Error: load the benchmark catalog:", err)
		return exitError
	}

	a := f.answers()
	interactive := c.stdinTTY && c.stdoutTTY && !f.nonInteractive
	if interactive {
		if err := runWizard(c, cat, a, c.useColor(f.noColor)); err != nil {
			if errors.Is(err, huh.ErrUserAborted) {
				fmt.Fprintln(c.stderr, "Cancelled: nothing was written.")
				return exitInterrupted
			}
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
	}
	if err := a.Resolve(cat); err != nil {
		printAnswerErrors(c, a, err, interactive)
		return exitError
	}
	src, err := scaffold.Generate(a)
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return exitError
	}
	if !c.writeConfig(cat, dir, path, src, c.useColor(f.noColor)) {
		return exitError
	}
	c.printNextSteps(a, dir, shown)
	return exitOK
}

// checkVLLMFlags rejects vLLM settings given without -vllm.
func (c *cli) checkVLLMFlags(fs *flag.FlagSet, vllm bool) bool {
	if vllm {
		return true
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, name := range vllmFlags() {
		if set[name] {
			fmt.Fprintf(c.stderr, "Error: -%s is a setting of a managed vLLM server: add -vllm, or drop it\n", name)
			return false
		}
	}
	return true
}

// initTarget resolves -dir against the configuration directory and refuses an existing
// eval.hcl unless force.
func (c *cli) initTarget(dirFlag string, force bool) (dir, path string, ok bool) {
	dir = dirFlag
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(c.dir, dir)
	}
	path = filepath.Join(dir, "eval.hcl")
	_, err := os.Stat(path)
	switch {
	case err == nil && !force:
		fmt.Fprintf(c.stderr, "Error: %s already exists; use -force to overwrite it\n", rel(c.dir, path))
		return "", "", false
	case err != nil && !errors.Is(err, iofs.ErrNotExist):
		fmt.Fprintln(c.stderr, "Error:", err)
		return "", "", false
	}
	return dir, path, true
}

// printAnswerErrors prints each invalid or missing answer with the flag that gives it.
func printAnswerErrors(c *cli, a *scaffold.Answers, err error, interactive bool) {
	var fe scaffold.FieldErrors
	if !errors.As(err, &fe) {
		fmt.Fprintln(c.stderr, "Error:", err)
		return
	}
	for _, e := range fe {
		name := "-" + e.Field
		switch {
		case e.Field == "selection":
			name = "-preset, -categories or -benchmarks"
		case e.Field == "url" && a.Endpoint.URL == "" && a.Endpoint.VLLM == nil:
			name = "-url (or -vllm)"
		}
		fmt.Fprintf(c.stderr, "Error: %s: %v\n", name, e.Err)
	}
	if !interactive {
		fmt.Fprintln(c.stderr, "init asks its questions only when standard input and output are a terminal (and without -non-interactive); otherwise every answer comes from flags. Run 'evalplan init -help' for them.")
	}
}

// writeConfig checks the generated file on its own (so a bug never leaves a broken file),
// writes it, and loads the directory with it, which may hold other *.hcl files.
func (c *cli) writeConfig(cat *schema.Catalog, dir, path string, src []byte, color bool) bool {
	scratch, err := os.MkdirTemp("", "evalplan-init-")
	if err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return false
	}
	defer os.RemoveAll(scratch)
	if err := os.WriteFile(filepath.Join(scratch, "eval.hcl"), src, 0o644); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return false
	}
	if !c.loads(cat, scratch, color) {
		fmt.Fprintln(c.stderr, "Error: the generated eval.hcl does not validate (a bug in evalplan init); nothing was written")
		return false
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return false
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, src, 0o644); err != nil {
		fmt.Fprintln(c.stderr, "Error:", err)
		return false
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		fmt.Fprintln(c.stderr, "Error:", err)
		return false
	}
	if !c.loads(cat, dir, color) {
		fmt.Fprintf(c.stderr, "Error: %s was written, but the directory does not validate with it: fix the other *.hcl files there, or run init with -dir in an empty directory\n", rel(c.dir, path))
		return false
	}
	return true
}

// loads reports whether the configuration in dir loads without errors, printing every
// diagnostic.
func (c *cli) loads(cat *schema.Catalog, dir string, color bool) bool {
	cfg, diags := config.Load(dir, config.LoadOptions{Environ: c.environ, Catalog: cat})
	if len(diags) > 0 {
		var files map[string]*hcl.File
		if cfg != nil {
			files = cfg.HCLFiles()
		}
		c.printDiags(files, diags, color)
	}
	return cfg != nil && !diags.HasErrors()
}

func (c *cli) printNextSteps(a *scaffold.Answers, dir, shown string) {
	prefix := "evalplan"
	if r := rel(c.dir, dir); r != "." {
		prefix = "evalplan -chdir=" + r
	}
	fmt.Fprintf(c.stdout, "Wrote %s: endpoint %q, suite %q (%s). It is valid.\n", shown, a.Endpoint.Name, scaffold.SuiteName, selection(a.Suite))
	// Which harness runtime container benchmarks get, and why.
	if a.Suite.Runtime == "venv" {
		fmt.Fprintln(c.stdout, "Container benchmarks run from their Python packages, without Docker, in an environment evalplan manages (runtime venv, as chosen).")
	} else {
		fmt.Fprintln(c.stdout, "Container benchmarks run in their catalog images, pinned by digest (runtime docker, the default; -harness-runtime venv runs them from their Python packages instead).")
	}
	fmt.Fprint(c.stdout, "\nNext steps:\n")
	var steps [][2]string
	if k := a.Endpoint.APIKeyEnv; k != "" {
		steps = append(steps, [2]string{"export " + k + "=...", "the endpoint reads its API key from it"})
	}
	if a.Suite.Runtime == "venv" {
		steps = append(steps, [2]string{prefix + " runtimes prepare", "create the Python environments (once)"})
	}
	steps = append(steps,
		[2]string{prefix + " plan", "see what would run and why"},
		[2]string{prefix + " apply", "run it and record the results"})
	width := 0
	for _, s := range steps {
		width = max(width, len(s[0]))
	}
	for _, s := range steps {
		fmt.Fprintf(c.stdout, "  %-*s  %s\n", width, s[0], s[1])
	}
}

// selection describes a suite's benchmarks in a few words.
func selection(s scaffold.Suite) string {
	var parts []string
	if s.Preset != "" {
		parts = append(parts, "preset "+s.Preset)
	}
	if n := len(s.Categories); n > 0 {
		parts = append(parts, plural(n, "category", "categories"))
	}
	if n := len(s.Benchmarks); n > 0 {
		parts = append(parts, plural(n, "benchmark", "benchmarks"))
	}
	return strings.Join(parts, " + ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// listFlag collects comma-separated values of a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// optFloat is a number flag that may be left unset.
type optFloat struct{ v *float64 }

func (o *optFloat) String() string {
	if o.v == nil {
		return ""
	}
	return strconv.FormatFloat(*o.v, 'g', -1, 64)
}

func (o *optFloat) Set(s string) error {
	v, err := scaffold.ParseOptionalFloat(s)
	if err != nil {
		return err
	}
	o.v = v
	return nil
}

// optInt is an integer flag that may be left unset.
type optInt struct{ v *int }

func (o *optInt) String() string {
	if o.v == nil {
		return ""
	}
	return strconv.Itoa(*o.v)
}

func (o *optInt) Set(s string) error {
	v, err := scaffold.ParseOptionalInt(s)
	if err != nil {
		return err
	}
	o.v = v
	return nil
}
