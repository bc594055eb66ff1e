package container

import (
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
	// LimitSamples is an int, or a float fraction below 1.
	LimitSamples   any            `yaml:"limit_samples,omitempty"`
	MaxNewTokens   *int           `yaml:"max_new_tokens,omitempty"`
	MaxRetries     *int           `yaml:"max_retries,omitempty"`
	Parallelism    *int           `yaml:"parallelism,omitempty"`
	RequestTimeout any            `yaml:"request_timeout,omitempty"`
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
	typ, path := endpointType(spec)
	p := spec.Params
	rc := &RunConfig{
		Config: EvalConfig{
			Type: spec.Task.Task, OutputDir: "/results",
			Params: EvalParams{
				LimitSamples: wholeOrFloat(p.LimitSamples), MaxNewTokens: p.MaxNewTokens, MaxRetries: p.MaxRetries,
				Parallelism: p.Parallelism, RequestTimeout: wholeOrFloat(p.RequestTimeout),
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

// wholeOrFloat writes 10 rather than 10.0 for whole numbers; nil stays nil.
func wholeOrFloat(f *float64) any {
	if f == nil {
		return nil
	}
	if *f == math.Trunc(*f) && math.Abs(*f) < 1<<53 {
		return int64(*f)
	}
	return *f
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
