package scaffold

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/schema"
)

// SuiteName is the name of the suite block Generate writes.
const SuiteName = "main"

// Defaults of the answers that have one.
const (
	DefaultType                 = "chat"
	DefaultRuntime              = "docker"
	DefaultHarnessRuntime       = "docker"
	DefaultTensorParallelSize   = 1
	DefaultGPUMemoryUtilization = 0.9
	DefaultMLflowURI            = "http://127.0.0.1:5000"
	DefaultMLflowExperiment     = "llm-evaluation"
)

// Answers are the answers of `evalplan init`: everything the new eval.hcl says.
type Answers struct {
	Endpoint Endpoint
	Suite    Suite
	// MLflow adds an exporter "mlflow" block when set.
	MLflow *MLflow
	// Local adds an exporter "local" "files" block (results.jsonl and results.csv).
	Local bool
	// CheckFloor adds a check that every completed run scored at least this much.
	CheckFloor *float64
}

// Endpoint is the model endpoint: an existing OpenAI-compatible server (URL set) or a vLLM
// server that evalplan manages (VLLM set).
type Endpoint struct {
	// Name is the endpoint block's name; Resolve derives it from Model when empty.
	Name  string
	Model string
	// Type is "chat" or "completions"; empty means chat.
	Type string
	// URL is the base URL of an existing server, ending in /v1.
	URL string
	// APIKeyEnv names the environment variable holding the API key; the file reads it with
	// env("NAME") and never holds the key itself. Empty: no api_key attribute.
	APIKeyEnv string
	// VLLM makes the endpoint managed: evalplan starts vLLM on local GPUs.
	VLLM *VLLM
}

// VLLM are the settings of a managed vLLM server.
type VLLM struct {
	// Runtime is "docker" or "process" (vllm on PATH); empty means docker.
	Runtime string
	// TensorParallelSize is the number of GPUs the model is split over; 0 means 1.
	TensorParallelSize int
	// GPUMemoryUtilization is the fraction of GPU memory vLLM may use; 0 leaves vLLM's
	// default.
	GPUMemoryUtilization float64
	// MaxModelLen caps the context length; 0 leaves the model's.
	MaxModelLen int
}

// Suite is the benchmark selection and its run parameters. At least one of Preset,
// Categories and Benchmarks is needed; nil parameters are not written.
type Suite struct {
	Preset     string
	Categories []string
	// Benchmarks are catalog names; Resolve replaces each by its qualified name.
	Benchmarks   []string
	LimitSamples *float64
	Temperature  *float64
	Parallelism  *int
	// Runtime is the harness runtime of the suite's container benchmarks: "docker" (their
	// catalog images) or "venv" (their harnesses' Python packages); empty means docker.
	Runtime string
}

// MLflow is an MLflow exporter.
type MLflow struct {
	// TrackingURI is the server's URI; empty means DefaultMLflowURI.
	TrackingURI string
	// Experiment is the MLflow experiment; empty means DefaultMLflowExperiment.
	Experiment string
	// Managed starts a local MLflow server when none answers at TrackingURI.
	Managed bool
}

// FieldError is a problem with one answer. Field is the answer's key, which is also the name
// of the `evalplan init` flag that gives it ("url", "api-key-env", "limit-samples", ...),
// except "selection": no benchmarks at all (neither preset, categories nor benchmarks).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrors are every problem Resolve found, in question order.
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Resolve checks the answers against the catalog, reporting every problem at once as
// FieldErrors, and fills in what is derived: the endpoint name from the model, defaults, and
// the qualified catalog name of each benchmark. Benchmarks the endpoint cannot serve are
// errors; a preset's or category's tasks it cannot serve are skipped by plan instead.
func (a *Answers) Resolve(cat *schema.Catalog) error {
	var errs FieldErrors
	add := func(field string, err error) {
		if err != nil {
			errs = append(errs, &FieldError{Field: field, Err: err})
		}
	}
	a.resolveEndpoint(add)
	a.resolveSuite(cat, add)
	if m := a.MLflow; m != nil {
		m.TrackingURI = strings.TrimSpace(m.TrackingURI)
		if m.TrackingURI == "" {
			m.TrackingURI = DefaultMLflowURI
		}
		if m.Experiment == "" {
			m.Experiment = DefaultMLflowExperiment
		}
		add("mlflow", ValidTrackingURI(m.TrackingURI, m.Managed))
		if strings.TrimSpace(m.Experiment) == "" {
			add("mlflow-experiment", errors.New("the experiment name must not be blank"))
		}
	}
	if a.CheckFloor != nil {
		add("check-floor", ValidCheckFloor(*a.CheckFloor))
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (a *Answers) resolveEndpoint(add func(string, error)) {
	e := &a.Endpoint
	e.Model = strings.TrimSpace(e.Model)
	add("model", ValidModel(e.Model))
	if e.Name == "" && e.Model != "" {
		e.Name = EndpointName(e.Model)
	}
	if e.Name != "" {
		add("name", ValidName(e.Name))
	}
	if e.Type == "" {
		e.Type = DefaultType
	}
	add("type", oneOf(e.Type, "chat", "completions"))
	switch {
	case e.VLLM != nil && e.URL != "":
		add("url", errors.New("give either a URL of a running server or a managed vLLM server, not both"))
	case e.VLLM == nil:
		e.URL = strings.TrimRight(strings.TrimSpace(e.URL), "/")
		add("url", ValidURL(e.URL))
	}
	if e.APIKeyEnv != "" {
		add("api-key-env", ValidEnvName(e.APIKeyEnv))
		if e.VLLM != nil {
			add("api-key-env", errors.New("a managed vLLM server needs no API key; drop it or use a URL endpoint"))
		}
	}
	if v := e.VLLM; v != nil {
		if v.Runtime == "" {
			v.Runtime = DefaultRuntime
		}
		add("runtime", oneOf(v.Runtime, "docker", "process"))
		if v.TensorParallelSize == 0 {
			v.TensorParallelSize = DefaultTensorParallelSize
		}
		add("tensor-parallel-size", ValidTensorParallelSize(v.TensorParallelSize))
		if v.GPUMemoryUtilization != 0 {
			add("gpu-memory-utilization", ValidGPUMemoryUtilization(v.GPUMemoryUtilization))
		}
		if v.MaxModelLen != 0 {
			add("max-model-len", ValidMaxModelLen(v.MaxModelLen))
		}
	}
}

func (a *Answers) resolveSuite(cat *schema.Catalog, add func(string, error)) {
	s := &a.Suite
	if s.Preset == "" && len(s.Categories) == 0 && len(s.Benchmarks) == 0 {
		add("selection", errors.New("choose benchmarks: a preset, categories or individual benchmarks (see `evalplan catalog presets`)"))
	}
	if s.Preset != "" && !cat.HasPreset(s.Preset) {
		add("preset", fmt.Errorf("unknown preset %q; the presets are %s", s.Preset, strings.Join(cat.Presets(), ", ")))
	}
	for i, c := range s.Categories {
		if !cat.HasCategory(c) {
			add("categories", fmt.Errorf("unknown category %q; the categories are %s", c, strings.Join(cat.Categories(), ", ")))
			continue
		}
		// The catalog's spelling: "safety_security" is written "safety-security".
		if j := slices.Index(cat.Categories(), strings.ReplaceAll(c, "_", "-")); j >= 0 {
			s.Categories[i] = cat.Categories()[j]
		}
	}
	s.Categories = dedupe(s.Categories)
	for i, b := range s.Benchmarks {
		canon, err := cat.Lookup(b)
		if err != nil {
			add("benchmarks", err)
			continue
		}
		s.Benchmarks[i] = canon
		t, _ := cat.Get(canon)
		if ok, why := t.Supports(a.Endpoint.Type, nil); !ok {
			add("benchmarks", fmt.Errorf("%s %s, but the endpoint is a %s endpoint; drop it, or choose it through a preset or category (where plan skips what the endpoint cannot serve)", canon, why, a.Endpoint.Type))
		}
	}
	s.Benchmarks = dedupe(s.Benchmarks)
	if s.Runtime == "" {
		s.Runtime = DefaultHarnessRuntime
	}
	if err := oneOf(s.Runtime, "docker", "venv"); err != nil {
		add("harness-runtime", err)
	} else if s.Runtime == "venv" {
		add("harness-runtime", venvSelection(cat, s, a.Endpoint.Type))
	}
	if s.LimitSamples != nil {
		add("limit-samples", ValidLimitSamples(*s.LimitSamples))
	}
	if s.Temperature != nil {
		add("temperature", ValidTemperature(*s.Temperature))
	}
	if s.Parallelism != nil {
		add("parallelism", ValidParallelism(*s.Parallelism))
	}
}

// venvSelection checks that every container benchmark of the selection that the endpoint
// can serve has Python packages: runtime = "venv" on any other is a plan error.
func venvSelection(cat *schema.Catalog, s *Suite, endpointType string) error {
	names := slices.Clone(s.Benchmarks)
	if s.Preset != "" {
		p, err := cat.Preset(s.Preset)
		if err != nil {
			return nil // reported as a preset error
		}
		names = append(names, p...)
	}
	for _, c := range s.Categories {
		for _, t := range cat.InCategory(c) {
			names = append(names, t.Name)
		}
	}
	without := map[string][]string{} // harness → its benchmarks in the selection
	for _, name := range dedupe(names) {
		t, ok := cat.Get(name)
		if !ok || t.Native != nil || len(t.Packages) > 0 {
			continue
		}
		if served, _ := t.Supports(endpointType, nil); served {
			without[t.Harness] = append(without[t.Harness], t.Name)
		}
	}
	if len(without) == 0 {
		return nil
	}
	var parts []string
	for _, h := range slices.Sorted(maps.Keys(without)) {
		parts = append(parts, fmt.Sprintf("%s (%s)", h, plural(without[h], "benchmark")))
	}
	return fmt.Errorf("venv runs a harness from its Python packages, and the selection has harnesses without any: %s; choose docker, or leave their benchmarks out (`evalplan catalog show NAME` says which runtimes a benchmark has)", strings.Join(parts, ", "))
}

// plural says how many names there are, naming the first: "1 benchmark, codec.ifeval" or
// "27 benchmarks, e.g. codec.ifeval".
func plural(names []string, noun string) string {
	if len(names) == 1 {
		return "1 " + noun + ", " + names[0]
	}
	return fmt.Sprintf("%d %ss, e.g. %s", len(names), noun, names[0])
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func oneOf(v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
}

// Compatible lists the catalog tasks an endpoint of this type (and no extra capabilities)
// can serve, in name order: the benchmarks the wizard offers.
func Compatible(cat *schema.Catalog, endpointType string) []*schema.Task {
	var out []*schema.Task
	for _, t := range cat.Tasks() {
		if ok, _ := t.Supports(endpointType, nil); ok {
			out = append(out, t)
		}
	}
	return out
}

// EndpointName derives an endpoint block name from a model name: the last path element,
// lower-case, with every run of other characters than letters and digits replaced by "_"
// ("Qwen/Qwen2.5-7B-Instruct" → "qwen2_5_7b_instruct"). It is "model" when nothing is left.
func EndpointName(model string) string {
	base := model[strings.LastIndex(model, "/")+1:]
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	name := strings.TrimRight(b.String(), "_")
	switch {
	case name == "":
		return "model"
	case name[0] >= '0' && name[0] <= '9':
		return "m" + name
	}
	return name
}

var (
	namePattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValidName checks a block name: a letter or underscore, then letters, digits, underscores
// and dashes.
func ValidName(s string) error {
	if !namePattern.MatchString(s) {
		return fmt.Errorf("%q is not a valid name: start with a letter or underscore, then use letters, digits, underscores and dashes", s)
	}
	return nil
}

// ValidModel checks a model name (any non-blank string, e.g. "Qwen/Qwen2.5-7B-Instruct").
func ValidModel(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("the model name is required, e.g. Qwen/Qwen2.5-7B-Instruct")
	}
	return nil
}

// ValidURL checks an endpoint base URL: http or https, a host, ending in /v1, no query or
// fragment. A trailing slash is allowed.
func ValidURL(s string) error {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s == "" {
		return errors.New("the URL of an OpenAI-compatible server is required, e.g. http://127.0.0.1:8000/v1")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%q is not an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000/v1", s)
	case !strings.HasSuffix(u.Path, "/v1"):
		return fmt.Errorf("%q must be the OpenAI-compatible base URL, ending in /v1 (e.g. %s://%s/v1)", s, u.Scheme, u.Host)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	return nil
}

// ValidEnvName checks the name of an environment variable (letters, digits and underscores,
// not starting with a digit). It rejects what looks like a key pasted in place of a name.
func ValidEnvName(s string) error {
	if !envNamePattern.MatchString(s) {
		return fmt.Errorf("give the NAME of the environment variable that holds the key (e.g. OPENAI_API_KEY), not the key; %d characters given are not a valid name", len(s))
	}
	return nil
}

// ValidTensorParallelSize checks tensor_parallel_size (an integer ≥ 1).
func ValidTensorParallelSize(n int) error {
	if n < 1 {
		return fmt.Errorf("%d: the tensor parallel size is the number of GPUs, at least 1", n)
	}
	return nil
}

// ValidGPUMemoryUtilization checks gpu_memory_utilization (0 < f ≤ 1).
func ValidGPUMemoryUtilization(f float64) error {
	if !(f > 0 && f <= 1) {
		return fmt.Errorf("%g: the GPU memory utilization is a fraction greater than 0 and at most 1, e.g. 0.9", f)
	}
	return nil
}

// ValidMaxModelLen checks max_model_len (an integer ≥ 1).
func ValidMaxModelLen(n int) error {
	if n < 1 {
		return fmt.Errorf("%d: the maximum model length is a number of tokens, at least 1", n)
	}
	return nil
}

// ValidLimitSamples checks limit_samples: an integer ≥ 1, or a fraction 0 < f < 1.
func ValidLimitSamples(f float64) error {
	if f >= 1 && f == math.Trunc(f) && f <= 1<<31 || f > 0 && f < 1 {
		return nil
	}
	return fmt.Errorf("%g: limit_samples is a number of samples (an integer ≥ 1) or a fraction of each dataset (0 < f < 1)", f)
}

// ValidTemperature checks a sampling temperature (≥ 0).
func ValidTemperature(f float64) error {
	if !(f >= 0) || math.IsInf(f, 0) {
		return fmt.Errorf("%g: the temperature is a number ≥ 0 (0 for greedy decoding)", f)
	}
	return nil
}

// ValidParallelism checks parallelism (requests at once, an integer ≥ 1).
func ValidParallelism(n int) error {
	if n < 1 {
		return fmt.Errorf("%d: parallelism is the number of requests at once, at least 1", n)
	}
	return nil
}

// ValidCheckFloor checks a score floor (a number ≥ 0).
func ValidCheckFloor(f float64) error {
	if !(f >= 0) || math.IsInf(f, 0) {
		return fmt.Errorf("%g: the floor is the lowest acceptable score, a number ≥ 0 (e.g. 0.5)", f)
	}
	return nil
}

// ValidTrackingURI checks an MLflow tracking URI: http(s) with a host; a managed server
// needs a loopback http URI, since evalplan starts it on this machine.
func ValidTrackingURI(s string, managed bool) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL with a host, e.g. %s", s, DefaultMLflowURI)
	}
	if !managed {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme != "http" || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q: a managed MLflow server runs on this machine and needs an http://127.0.0.1:PORT URI", s)
	}
	return nil
}

// ParseOptionalFloat parses a number typed as text; blank is nil (unset).
func ParseOptionalFloat(s string) (*float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return &f, nil
}

// ParseOptionalInt parses an integer typed as text; blank is nil (unset).
func ParseOptionalInt(s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a whole number", s)
	}
	return &n, nil
}
