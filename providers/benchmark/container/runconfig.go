package container

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"gopkg.in/yaml.v3"
)

// APIKeyVar is the environment variable that carries the endpoint's API key into the
// container; the run config names it (api_key_name), never the key itself.
const APIKeyVar = "EVALPLAN_API_KEY"

// RunConfig is the NeMo Evaluator run config (run_config.yml). Only keys the contract allows
// appear under config and target (nemo-evaluator rejects unknown ones).
type RunConfig struct {
	Config   EvalConfig     `yaml:"config"`
	Target   Target         `yaml:"target"`
	Metadata map[string]any `yaml:"metadata,omitempty"`
}

// EvalConfig is the config section.
type EvalConfig struct {
	Type      string     `yaml:"type"`
	OutputDir string     `yaml:"output_dir"`
	Params    EvalParams `yaml:"params"`
}

// EvalParams are config.params; unset values are left out so the task's defaults apply.
type EvalParams struct {
	// LimitSamples is a whole number of samples: the contract also allows a fraction, but
	// simple-evals 26.03 crashes on one, so evalplan rejects fractions (CheckParams). For an
	// lm-eval group task (mmlu) it applies to each subtask.
	LimitSamples *int64 `yaml:"limit_samples,omitempty"`
	MaxNewTokens *int   `yaml:"max_new_tokens,omitempty"`
	MaxRetries   *int   `yaml:"max_retries,omitempty"`
	Parallelism  *int   `yaml:"parallelism,omitempty"`
	// RequestTimeout is whole seconds: nemo-evaluator rejects a fraction (int_from_float).
	RequestTimeout *int64         `yaml:"request_timeout,omitempty"`
	Temperature    *float64       `yaml:"temperature,omitempty"`
	TopP           *float64       `yaml:"top_p,omitempty"`
	Extra          map[string]any `yaml:"extra,omitempty"`
}

// Target is the target section.
type Target struct {
	APIEndpoint APIEndpoint `yaml:"api_endpoint"`
}

// APIEndpoint is target.api_endpoint: url is the full request URL, not the base.
type APIEndpoint struct {
	URL        string `yaml:"url"`
	ModelID    string `yaml:"model_id"`
	Type       string `yaml:"type"`
	APIKeyName string `yaml:"api_key_name,omitempty"`
	Stream     bool   `yaml:"stream,omitempty"`
	// AdapterConfig is nemo-evaluator's adapter configuration: the run's interceptors
	// (see adapterConfig).
	AdapterConfig map[string]any `yaml:"adapter_config,omitempty"`
}

// BuildRunConfig is the run config of a run spec.
func BuildRunConfig(spec *plan.RunSpec) (*RunConfig, error) {
	if spec.Task == nil || spec.Task.Task == "" {
		return nil, fmt.Errorf("%s: run spec has no catalog task", spec.Address)
	}
	if spec.Endpoint == nil || spec.Endpoint.URL == "" {
		return nil, fmt.Errorf("%s: run spec has no endpoint URL", spec.Address)
	}
	if err := CheckParams(spec.Params); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Address, err)
	}
	typ, path := endpointType(spec)
	p := spec.Params
	rc := &RunConfig{
		Config: EvalConfig{
			Type: spec.Task.Task, OutputDir: "/results",
			Params: EvalParams{
				LimitSamples: whole(p.LimitSamples), MaxNewTokens: p.MaxNewTokens, MaxRetries: p.MaxRetries,
				Parallelism: p.Parallelism, RequestTimeout: ceilSeconds(p.RequestTimeout),
				Temperature: p.Temperature, TopP: p.TopP, Extra: p.Extra,
			},
		},
		Target: Target{APIEndpoint: APIEndpoint{
			URL: strings.TrimRight(spec.Endpoint.URL, "/") + path, ModelID: spec.Endpoint.Model, Type: typ, Stream: spec.Endpoint.Stream,
		}},
		Metadata: map[string]any{"evalplan": map[string]any{"address": spec.Address, "identity": spec.Identity}},
	}
	if spec.Endpoint.APIKey != "" {
		rc.Target.APIEndpoint.APIKeyName = APIKeyVar
	}
	applyJudge(rc, spec)                                                   // options.go
	rc.Target.APIEndpoint.AdapterConfig = adapterConfig(spec.Interceptors) // options.go
	return rc, nil
}

// Marshal renders the run config as YAML.
func (rc *RunConfig) Marshal() ([]byte, error) {
	b, err := yaml.Marshal(rc)
	if err != nil {
		return nil, fmt.Errorf("encode run config: %w", err)
	}
	return b, nil
}

// endpointType is the contract's endpoint type and the path under the endpoint's /v1 base.
func endpointType(spec *plan.RunSpec) (string, string) {
	for _, c := range spec.Task.Capabilities {
		if c == "embedding" {
			return "embedding", "/embeddings"
		}
	}
	if spec.Endpoint.Type == "completions" {
		return "completions", "/completions"
	}
	return "chat", "/chat/completions"
}

// whole is a whole number as an int64; nil stays nil. CheckParams has rejected fractions.
func whole(f *float64) *int64 {
	if f == nil {
		return nil
	}
	n := int64(*f)
	return &n
}

// ceilSeconds is a duration in seconds rounded up to whole seconds (at least 1, so that a
// timeout never becomes none); nil stays nil.
func ceilSeconds(f *float64) *int64 {
	if f == nil {
		return nil
	}
	n := max(1, int64(math.Ceil(*f)))
	return &n
}

// CheckParams rejects the params that a NeMo Evaluator container cannot honour, instead of
// letting them be silently ignored or crash the harness: sample = "random" and seed
// (containers always take the first limit_samples samples of their dataset, in dataset
// order, and take no seed), and a fractional limit_samples (simple-evals 26.03 crashes on
// one). PlanRun calls it, so that plan and validate report it.
func CheckParams(p config.Params) error {
	var errs []error
	if p.Sample != nil && *p.Sample != "first" {
		errs = append(errs, fmt.Errorf("sample = %q is not supported by NeMo Evaluator container tasks: they always run the first limit_samples samples in dataset order; remove sample or set sample = \"first\"", *p.Sample))
	}
	if p.Seed != nil {
		errs = append(errs, errors.New("seed is not supported by NeMo Evaluator container tasks: the harness takes no seed, so the run could not honour it; set seed only on native benchmarks"))
	}
	if l := p.LimitSamples; l != nil && *l != math.Trunc(*l) {
		errs = append(errs, fmt.Errorf("limit_samples = %g is a fraction, which NeMo Evaluator container tasks do not support reliably (simple-evals 26.03 crashes on one); give a whole number of samples", *l))
	}
	return errors.Join(errs...)
}

// loopback reports whether an endpoint URL points at this machine, which a container
// reaches only through the host network.
func loopback(ep *config.Endpoint) bool {
	u, err := url.Parse(ep.URL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}
