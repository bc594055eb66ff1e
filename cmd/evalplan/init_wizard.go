package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/evalplan/evalplan/schema"
	"github.com/evalplan/evalplan/schema/scaffold"
)

// wizard asks init's questions on a terminal, one short form at a time, so that each form
// can depend on the answers before it (the benchmarks offered depend on the endpoint type).
// It starts from the answers the flags gave and fills in the rest.
type wizard struct {
	cat   *schema.Catalog
	a     *scaffold.Answers
	theme *huh.Theme

	kind    string   // "url" or "vllm"
	methods []string // "preset", "categories", "individual"
	mlflow  bool
	// Numbers are typed as text; blank means unset.
	tp, gmu, maxLen, limit, temp, par, floor string
	vllm                                     scaffold.VLLM
	ml                                       scaffold.MLflow
}

// runWizard asks every question on the terminal and updates a with the answers.
func runWizard(c *cli, cat *schema.Catalog, a *scaffold.Answers, color bool) error {
	w := newWizard(cat, a, color)
	run := func(form *huh.Form) error {
		if form == nil {
			return nil
		}
		form = form.WithTheme(w.theme).WithInput(c.stdin).WithOutput(c.stdout)
		if err := form.RunWithContext(c.ctx); err != nil {
			return fmt.Errorf("init wizard: %w", err)
		}
		return nil
	}
	for _, step := range []func() *huh.Form{w.endpointKindForm, w.endpointForm} {
		if err := run(step()); err != nil {
			return err
		}
	}
	// Ask for benchmarks until some are chosen: an empty selection is no suite.
	for {
		if err := run(w.methodsForm()); err != nil {
			return err
		}
		if err := run(w.benchmarksForm()); err != nil {
			return err
		}
		s := a.Suite
		if s.Preset != "" || len(s.Categories) > 0 || len(s.Benchmarks) > 0 {
			break
		}
		fmt.Fprintln(c.stdout, "No benchmarks chosen: choose a preset, categories or benchmarks (x or space selects).")
	}
	for _, step := range []func() *huh.Form{w.paramsForm, w.mlflowForm, w.mlflowDetailsForm, w.finalForm} {
		if err := run(step()); err != nil {
			return err
		}
	}
	return w.apply()
}

func newWizard(cat *schema.Catalog, a *scaffold.Answers, color bool) *wizard {
	w := &wizard{cat: cat, a: a, kind: "url", theme: huh.ThemeBase()}
	if color {
		w.theme = huh.ThemeCharm()
	}
	w.vllm = scaffold.VLLM{Runtime: scaffold.DefaultRuntime, TensorParallelSize: scaffold.DefaultTensorParallelSize, GPUMemoryUtilization: scaffold.DefaultGPUMemoryUtilization}
	if v := a.Endpoint.VLLM; v != nil {
		w.kind, w.vllm = "vllm", *v
	}
	w.tp = strconv.Itoa(w.vllm.TensorParallelSize)
	w.gmu = formatFloat(w.vllm.GPUMemoryUtilization)
	if w.vllm.MaxModelLen > 0 {
		w.maxLen = strconv.Itoa(w.vllm.MaxModelLen)
	}
	if a.Endpoint.Type == "" {
		a.Endpoint.Type = scaffold.DefaultType
	}
	s := a.Suite
	if s.Preset != "" {
		w.methods = append(w.methods, "preset")
	}
	if len(s.Categories) > 0 {
		w.methods = append(w.methods, "categories")
	}
	if len(s.Benchmarks) > 0 {
		w.methods = append(w.methods, "individual")
	}
	if len(w.methods) == 0 {
		w.methods = []string{"preset"}
	}
	if s.Preset == "" {
		a.Suite.Preset = "quick"
	}
	w.limit, w.temp, w.floor = optFloatText(s.LimitSamples), optFloatText(s.Temperature), optFloatText(a.CheckFloor)
	if s.Parallelism != nil {
		w.par = strconv.Itoa(*s.Parallelism)
	}
	if s.Runtime == "" {
		a.Suite.Runtime = scaffold.DefaultHarnessRuntime
	}
	w.ml = scaffold.MLflow{TrackingURI: scaffold.DefaultMLflowURI, Experiment: scaffold.DefaultMLflowExperiment}
	if m := a.MLflow; m != nil {
		w.mlflow, w.ml = true, *m
		if w.ml.TrackingURI == "" {
			w.ml.TrackingURI = scaffold.DefaultMLflowURI
		}
		if w.ml.Experiment == "" {
			w.ml.Experiment = scaffold.DefaultMLflowExperiment
		}
	}
	return w
}

func (w *wizard) endpointKindForm() *huh.Form {
	return huh.NewForm(huh.NewGroup(
		huh.NewSelect[string]().Title("Where does the model run?").Options(
			huh.NewOption("An OpenAI-compatible server that is already running (a URL)", "url"),
			huh.NewOption("A vLLM server that evalplan starts on this machine's GPUs", "vllm"),
		).Value(&w.kind),
	))
}

func (w *wizard) endpointForm() *huh.Form {
	e := &w.a.Endpoint
	typ := huh.NewSelect[string]().Title("Endpoint type").Options(
		huh.NewOption("chat (/v1/chat/completions)", "chat"),
		huh.NewOption("completions (/v1/completions, for base models)", "completions"),
	).Value(&e.Type)
	if w.kind == "vllm" {
		return huh.NewForm(huh.NewGroup(
			huh.NewInput().Title("Model (a Hugging Face ID)").Description("ctrl+e completes a suggestion.").
				Placeholder("Qwen/Qwen2.5-7B-Instruct").Suggestions(popularModels()).
				Value(&e.Model).Validate(scaffold.ValidModel),
			typ,
			huh.NewSelect[string]().Title("vLLM runtime").Options(
				huh.NewOption("docker (the vllm/vllm-openai image)", "docker"),
				huh.NewOption("process (vllm on PATH)", "process"),
			).Value(&w.vllm.Runtime),
			huh.NewInput().Title("Tensor parallel size").Description("The number of GPUs to split the model over.").
				Value(&w.tp).Validate(required(intCheck(scaffold.ValidTensorParallelSize))),
			huh.NewInput().Title("GPU memory utilization").Description("The fraction of each GPU's memory vLLM may use.").
				Value(&w.gmu).Validate(required(floatCheck(scaffold.ValidGPUMemoryUtilization))),
			huh.NewInput().Title("Maximum model length").Description("Context length cap in tokens; blank for the model's.").
				Value(&w.maxLen).Validate(intCheck(scaffold.ValidMaxModelLen)),
		).Title("vLLM server"))
	}
	return huh.NewForm(huh.NewGroup(
		huh.NewInput().Title("Base URL").Description("The OpenAI-compatible base URL, ending in /v1.").
			Placeholder("http://127.0.0.1:8000/v1").Value(&e.URL).Validate(scaffold.ValidURL),
		huh.NewInput().Title("Model name").Description("The model name the server expects in requests.").
			Placeholder("Qwen/Qwen2.5-7B-Instruct").Value(&e.Model).Validate(scaffold.ValidModel),
		typ,
		huh.NewInput().Title("API key environment variable").
			Description(`The NAME of the variable holding the key; the file reads env("NAME"). Blank for none.`).
			Placeholder("OPENAI_API_KEY").Value(&e.APIKeyEnv).Validate(func(s string) error {
			if s == "" {
				return nil
			}
			return scaffold.ValidEnvName(s)
		}),
	).Title("Endpoint"))
}

func (w *wizard) methodsForm() *huh.Form {
	return huh.NewForm(huh.NewGroup(
		huh.NewMultiSelect[string]().Title("How do you want to choose benchmarks?").
			Description("x or space selects; combine as many as you like.").Options(
			huh.NewOption("A preset suite", "preset"),
			huh.NewOption("Whole categories", "categories"),
			huh.NewOption("Individual benchmarks (searchable)", "individual"),
		).Value(&w.methods).Validate(func(m []string) error {
			if len(m) == 0 {
				return errors.New("choose at least one")
			}
			return nil
		}),
	))
}

func (w *wizard) benchmarksForm() *huh.Form {
	s := &w.a.Suite
	typ := w.a.Endpoint.Type
	compatible := scaffold.Compatible(w.cat, typ)
	serves := map[string]bool{}
	for _, t := range compatible {
		serves[t.Name] = true
	}
	var fields []huh.Field
	if slices.Contains(w.methods, "preset") {
		var opts []huh.Option[string]
		for _, p := range w.cat.Presets() {
			names, _ := w.cat.Preset(p)
			n := countIn(names, serves)
			if n == 0 {
				continue
			}
			count := fmt.Sprintf("%d benchmarks", len(names))
			if n < len(names) {
				count = fmt.Sprintf("%d of %d benchmarks", n, len(names))
			}
			opts = append(opts, huh.NewOption(fmt.Sprintf("%-16s %-20s %s", p, count, w.cat.PresetDescription(p)), p))
		}
		switch {
		case len(opts) == 0:
			s.Preset = ""
		default:
			if !slices.ContainsFunc(opts, func(o huh.Option[string]) bool { return o.Value == s.Preset }) {
				s.Preset = opts[0].Value
			}
			fields = append(fields, huh.NewSelect[string]().Title("Preset").
				Description(fmt.Sprintf("Counts are of the benchmarks a %s endpoint can serve; plan skips the others.", typ)).
				Options(opts...).Value(&s.Preset))
		}
	} else {
		s.Preset = ""
	}
	if slices.Contains(w.methods, "categories") {
		var opts []huh.Option[string]
		for _, c := range w.cat.Categories() {
			var names []string
			for _, t := range w.cat.InCategory(c) {
				names = append(names, t.Name)
			}
			if n := countIn(names, serves); n > 0 {
				opts = append(opts, huh.NewOption(fmt.Sprintf("%-18s %3d benchmarks", c, n), c).Selected(slices.Contains(s.Categories, c)))
			}
		}
		fields = append(fields, huh.NewMultiSelect[string]().Title("Categories").Options(opts...).Value(&s.Categories))
	} else {
		s.Categories = nil
	}
	if slices.Contains(w.methods, "individual") {
		opts := make([]huh.Option[string], len(compatible))
		for i, t := range compatible {
			opts[i] = huh.NewOption(strings.TrimSpace(fmt.Sprintf("%-50s %s", t.Name, t.Category)), t.Name).Selected(slices.Contains(s.Benchmarks, t.Name))
		}
		fields = append(fields, huh.NewMultiSelect[string]().Title("Benchmarks").
			Description(fmt.Sprintf("The %d a %s endpoint can serve. / filters (enter ends the filter); x or space selects.", len(compatible), typ)).
			Options(opts...).Filterable(true).Height(14).Value(&s.Benchmarks))
	} else {
		s.Benchmarks = nil
	}
	if len(fields) == 0 {
		return nil
	}
	return huh.NewForm(huh.NewGroup(fields...).Title("Benchmarks"))
}

func (w *wizard) paramsForm() *huh.Form {
	return huh.NewForm(huh.NewGroup(
		huh.NewInput().Title("Samples per benchmark").
			Description("A number, or a fraction of each dataset like 0.1; blank for every sample.").
			Value(&w.limit).Validate(floatCheck(scaffold.ValidLimitSamples)),
		huh.NewInput().Title("Temperature").Description("Blank for each benchmark's default; 0 for greedy decoding.").
			Value(&w.temp).Validate(floatCheck(scaffold.ValidTemperature)),
		huh.NewInput().Title("Parallelism").Description("Requests at once per run; blank for the default.").
			Value(&w.par).Validate(intCheck(scaffold.ValidParallelism)),
		huh.NewSelect[string]().Title("Harness runtime").
			Description("How container benchmarks run; `evalplan catalog show NAME` lists a benchmark's image and packages.").Options(
			huh.NewOption("docker (the catalog image, pinned by digest; the default)", "docker"),
			huh.NewOption("venv (the harness's Python packages, without Docker)", "venv"),
		).Value(&w.a.Suite.Runtime),
	).Title("Run parameters"))
}

func (w *wizard) mlflowForm() *huh.Form {
	return huh.NewForm(huh.NewGroup(
		huh.NewConfirm().Title("Export results to MLflow?").Value(&w.mlflow),
	))
}

func (w *wizard) mlflowDetailsForm() *huh.Form {
	if !w.mlflow {
		return nil
	}
	return huh.NewForm(huh.NewGroup(
		huh.NewInput().Title("MLflow tracking URI").Value(&w.ml.TrackingURI).Validate(func(s string) error {
			return scaffold.ValidTrackingURI(s, false)
		}),
		huh.NewInput().Title("MLflow experiment").Value(&w.ml.Experiment).Validate(required(func(string) error { return nil })),
		huh.NewConfirm().Title("Start a local MLflow server when none answers?").Value(&w.ml.Managed).
			Validate(func(managed bool) error { return scaffold.ValidTrackingURI(w.ml.TrackingURI, managed) }),
	).Title("MLflow"))
}

func (w *wizard) finalForm() *huh.Form {
	return huh.NewForm(huh.NewGroup(
		huh.NewConfirm().Title("Also write results to local files (results.jsonl, results.csv)?").Value(&w.a.Local),
		huh.NewInput().Title("Score floor").
			Description("Adds a check that fails apply (exit 4) when any score is below it; blank for none.").
			Placeholder("0.5").Value(&w.floor).Validate(floatCheck(scaffold.ValidCheckFloor)),
	))
}

// apply copies the typed answers into w.a.
func (w *wizard) apply() error {
	var err error
	a := &w.a.Endpoint
	if w.kind == "vllm" {
		a.URL, a.APIKeyEnv = "", ""
		v := w.vllm
		n, err1 := scaffold.ParseOptionalInt(w.tp)
		f, err2 := scaffold.ParseOptionalFloat(w.gmu)
		m, err3 := scaffold.ParseOptionalInt(w.maxLen)
		if err = errors.Join(err1, err2, err3); err != nil {
			return err
		}
		v.TensorParallelSize, v.GPUMemoryUtilization, v.MaxModelLen = orZero(n), orZero(f), orZero(m)
		a.VLLM = &v
	} else {
		a.VLLM = nil
	}
	s := &w.a.Suite
	var err1, err2, err3, err4 error
	s.LimitSamples, err1 = scaffold.ParseOptionalFloat(w.limit)
	s.Temperature, err2 = scaffold.ParseOptionalFloat(w.temp)
	s.Parallelism, err3 = scaffold.ParseOptionalInt(w.par)
	w.a.CheckFloor, err4 = scaffold.ParseOptionalFloat(w.floor)
	w.a.MLflow = nil
	if w.mlflow {
		m := w.ml
		w.a.MLflow = &m
	}
	return errors.Join(err1, err2, err3, err4)
}

func popularModels() []string {
	return []string{
		"Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen3-8B",
		"meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3",
		"google/gemma-2-9b-it", "microsoft/Phi-3.5-mini-instruct",
	}
}

func countIn(names []string, set map[string]bool) int {
	n := 0
	for _, name := range names {
		if set[name] {
			n++
		}
	}
	return n
}

// floatCheck validates a number typed as text; blank passes (see required).
func floatCheck(valid func(float64) error) func(string) error {
	return func(s string) error {
		f, err := scaffold.ParseOptionalFloat(s)
		if err != nil || f == nil {
			return err
		}
		return valid(*f)
	}
}

// intCheck validates an integer typed as text; blank passes (see required).
func intCheck(valid func(int) error) func(string) error {
	return func(s string) error {
		n, err := scaffold.ParseOptionalInt(s)
		if err != nil || n == nil {
			return err
		}
		return valid(*n)
	}
}

// required makes a blank answer an error.
func required(check func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("an answer is required")
		}
		return check(s)
	}
}

func orZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func optFloatText(p *float64) string {
	if p == nil {
		return ""
	}
	return formatFloat(*p)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
