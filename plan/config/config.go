// Package config loads an evalplan configuration directory: every *.hcl file except
// *.evalvars.hcl, variables from defaults, EVALPLAN_VAR_name, *.auto.evalvars.hcl, -var and
// -var-file, locals, and the typed blocks of the eval.hcl language. Every problem is an
// hcl.Diagnostic with a source range.
//
// It imports only schema/ and plan/result from evalplan; never providers/.
package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Config is a loaded, validated configuration. Map keys are block names.
type Config struct {
	// Dir is the absolute configuration directory.
	Dir string
	// Files maps each configuration and variable file (path relative to Dir) to its bytes.
	Files map[string][]byte
	// Settings holds the evalplan block, with defaults applied and paths made absolute.
	Settings Settings

	Variables map[string]*Variable
	GPUs      map[string]*GPU
	Endpoints map[string]*Endpoint
	Datasets  map[string]*Dataset
	Tasks     map[string]*Task
	Suites    map[string]*Suite
	// Interceptors are the interceptor blocks.
	Interceptors map[string]*Interceptor
	// Exporters is keyed by "TYPE.NAME", e.g. "mlflow.team".
	Exporters map[string]*Exporter
	// Executors is keyed by "TYPE.NAME", e.g. "slurm.cluster".
	Executors map[string]*Executor
	Checks    map[string]*Check
	Outputs   map[string]*Output

	// Eval is the evaluation context with var, local and the functions (go-cty stdlib plus
	// env, file, sha256). Use EvalContext to add run results for checks and outputs.
	Eval *hcl.EvalContext

	// hclFiles are the parsed files by diagnostic file name; see HCLFiles.
	hclFiles map[string]*hcl.File
}

// Settings is the evalplan block.
type Settings struct {
	State       string // absolute path; default <dir>/evalplan.state.json
	OutputDir   string // absolute path; default <dir>/output
	CacheDir    string // absolute path; default <dir>/.evalplan/cache
	Parallelism int    // default 4
	ImageMirror string
	// HFCache is the host directory mounted into evaluation containers as their Hugging Face
	// cache (HF_HOME), so that a re-run does not download datasets again: absolute; default
	// <cache_dir>/hf; "" when hf_cache = "" turns it off. Operational.
	HFCache string
	// HFCacheSet reports that hf_cache was given.
	HFCacheSet bool
}

// Variable is a declared input variable and its final value.
type Variable struct {
	Name        string
	Description string
	Sensitive   bool
	Value       cty.Value
	DeclRange   hcl.Range
}

// GPU is a gpu block.
type GPU struct {
	Name       string
	Devices    []int // nil means "all"
	MinFreeMiB int
	// Count, MemoryMiB and DeviceName declare an inventory of GPUs that are not local (the
	// nodes of a Slurm partition): settings are derived from it instead of NVML. Count is 0
	// when none is declared.
	Count      int    `json:",omitempty"`
	MemoryMiB  int    `json:",omitempty"`
	DeviceName string `json:",omitempty"`
	DeclRange  hcl.Range
}

// Endpoint is an endpoint block, external (URL set, Server nil) or managed (Server set: a
// vllm, sglang or nim block).
type Endpoint struct {
	Name  string
	Model string
	Type  string // "chat" (default) or "completions"
	URL   string // base URL ending in /v1; empty for managed endpoints before start
	// URLSensitive reports that URL came from a sensitive value: it is never written to
	// files or printed, not even redacted.
	URLSensitive bool
	// APIKey and Headers are sensitive: never written to state, plans or logs.
	APIKey       string
	Headers      map[string]string
	Revision     string
	Capabilities []string // sorted
	// Stream asks the server to stream responses (SSE). Operational: results are the same.
	Stream bool
	// AllowCrossHostRedirects lets requests follow a redirect to another host, without the
	// API key and headers; otherwise such a redirect fails the request. Operational.
	AllowCrossHostRedirects bool
	// Server is the managed model server (the vllm, sglang or nim block) evalplan starts for
	// a managed endpoint; nil for an external endpoint.
	Server *ManagedServer
	// MetricsURL is where a started managed endpoint's server serves Prometheus metrics, set
	// with URL when the engine starts it; empty means URL's /metrics. Operational.
	MetricsURL string
	DeclRange  hcl.Range
}

// Managed reports whether evalplan starts the endpoint's server.
func (e *Endpoint) Managed() bool { return e.Server != nil }

// Server kinds: the nested block of a managed endpoint.
const (
	// ServerVLLM is a vllm block: `vllm serve`, or the vLLM OpenAI image.
	ServerVLLM = "vllm"
	// ServerSGLang is an sglang block: `python3 -m sglang.launch_server`, or SGLang's image.
	ServerSGLang = "sglang"
	// ServerNIM is a nim block: an NVIDIA NIM for LLMs container.
	ServerNIM = "nim"
)

// ServerKinds are the nested block types of a managed endpoint, in the order documented.
func ServerKinds() []string { return []string{ServerVLLM, ServerSGLang, ServerNIM} }

// ManagedServer is the nested server block of a managed endpoint (vllm, sglang or nim). The
// settings have one field each whatever the block calls them: sglang's tp,
// mem_fraction_static, context_length and max_running_requests fill TensorParallelSize,
// GPUMemoryUtilization, MaxModelLen and MaxNumSeqs.
type ManagedServer struct {
	// Kind is the block type: ServerVLLM, ServerSGLang or ServerNIM.
	Kind                 string
	GPU                  string // gpu block name
	Runtime              string // "docker" or "process" (nim: always "docker")
	Image                string
	Command              []string
	TensorParallelSize   int
	GPUMemoryUtilization float64
	MaxModelLen          int
	MaxNumSeqs           int
	ExtraArgs            []string
	Env                  map[string]string
	StartTimeout         time.Duration
	KeepRunning          bool
}

// Dataset is a dataset block.
type Dataset struct {
	Name string
	// Source is as written: a path or glob relative to Dir, file://, http(s)://, hf://.
	Source    string
	SHA256    string
	Format    string // "" means from the extension
	Header    *bool
	Columns   []string
	DeclRange hcl.Range
}

// Task is a user-defined native task. Per-record expressions are kept unevaluated; they are
// evaluated with "record" in scope by the native runner.
type Task struct {
	Name           string
	Dataset        string // dataset block name
	Prompt         hcl.Expression
	Target         hcl.Expression
	Choices        hcl.Expression // nil when absent
	SystemPrompt   string
	Extract        string
	FewShot        int
	FewShotDataset string
	Metric         string // default "exact_match"
	Normalize      []string
	// Canonical is the canonical source text of the whole block (for identity).
	Canonical string
	DeclRange hcl.Range
}

// Suite is a suite block: the matrix of benchmarks × endpoints.
type Suite struct {
	Name       string
	Endpoints  []string // endpoint block names, in order
	Benchmarks []BenchmarkRef
	Preset     string
	Categories []string
	Exclude    []string
	Params     Params
	// Interceptors are interceptor block names, in order.
	Interceptors []string
	// ContainerEnv is the env and env_from_host of the suite's container runs.
	ContainerEnv
	// Executor is the executor its runs execute on, "TYPE.NAME" ("" for this machine).
	// Operational.
	Executor string
	// Runtime is the harness runtime of the suite's container tasks: RuntimeDocker,
	// RuntimeVenv, or "" (docker).
	Runtime string
	// Overrides maps a benchmark name as written in Benchmarks to its benchmark block.
	Overrides map[string]*Override
	DeclRange hcl.Range
}

// BenchmarkRef is one entry of a suite's benchmarks list: a catalog name ("harness.task",
// "native.gsm8k", or an unambiguous bare task name) or "task.NAME".
type BenchmarkRef struct {
	Name string
	// Canonical is the catalog's qualified name for Name ("native.gsm8k" for "gsm8k"), or
	// "task.NAME" for a task; equal to Name when no catalog was given to Load.
	Canonical string
	Range     hcl.Range
}

// Params are run parameters; nil fields are unset (inherit). Fields marked I are part of a
// run's identity, O are operational.
type Params struct {
	LimitSamples   *float64       `json:"limit_samples,omitempty"`   // I: integer ≥ 1 or 0 < f < 1
	Temperature    *float64       `json:"temperature,omitempty"`     // I
	TopP           *float64       `json:"top_p,omitempty"`           // I
	MaxNewTokens   *int           `json:"max_new_tokens,omitempty"`  // I
	Seed           *int           `json:"seed,omitempty"`            // I
	Sample         *string        `json:"sample,omitempty"`          // I: "random" or "first"
	Extra          map[string]any `json:"extra,omitempty"`           // I: merged key by key
	Cache          *bool          `json:"cache,omitempty"`           // O
	Parallelism    *int           `json:"parallelism,omitempty"`     // O
	RequestTimeout *float64       `json:"request_timeout,omitempty"` // O: seconds
	MaxRetries     *int           `json:"max_retries,omitempty"`     // O
	Timeout        *float64       `json:"timeout,omitempty"`         // O: whole run, seconds
}

// Override is the benchmark block of the suite's runs of benchmark (the suite's key for
// it, as in run addresses), else of the catalog task named taskName; nil when none.
func (s *Suite) Override(benchmark, taskName string) *Override {
	if ov := s.Overrides[benchmark]; ov != nil {
		return ov
	}
	if taskName != "" {
		return s.Overrides[taskName]
	}
	return nil
}

// RunExecutor is the executor ("TYPE.NAME", "" for this machine) of the runs of benchmark
// (the suite's key; taskName is the catalog task's name, or "") in suite: the benchmark
// block's, else the suite's.
func (c *Config) RunExecutor(suite, benchmark, taskName string) string {
	s := c.Suites[suite]
	if s == nil {
		return ""
	}
	if ov := s.Override(benchmark, taskName); ov != nil && ov.Executor != "" {
		return ov.Executor
	}
	return s.Executor
}

// Override is a benchmark block inside a suite.
type Override struct {
	Name    string
	Params  Params
	Dataset string // dataset block name
	Image   string // repo@sha256:…
	Judge   string // endpoint block name
	// Executor overrides the suite's executor, "TYPE.NAME"; "" inherits it.
	Executor string
	// Interceptors are interceptor block names added to the suite's, in order.
	Interceptors []string
	// ContainerEnv is the env and env_from_host added to the suite's (env key by key).
	ContainerEnv
	// Runtime replaces the suite's harness runtime for this benchmark; "" inherits.
	Runtime   string
	DeclRange hcl.Range
}

// Exporter is an exporter block.
type Exporter struct {
	Type   string // "mlflow" or "local"
	Name   string
	Suites []string // suite names
	// Attrs holds the remaining attributes, evaluated (tracking_uri, experiment, path, ...).
	Attrs map[string]cty.Value
	// Server is the nested server block of an mlflow exporter, evaluated; nil when absent.
	Server    map[string]cty.Value
	DeclRange hcl.Range
}

// Executor is an executor block: where the runs of the suites that choose it execute.
// Every field is operational.
type Executor struct {
	Type string // "slurm"
	Name string
	// Partition, Account, QOS, TimeLimit, Mem and Constraint are passed to sbatch as
	// written ("" leaves them out).
	Partition, Account, QOS, TimeLimit, Mem, Constraint string
	// Nodes, GPUsPerNode and CPUsPerTask are passed to sbatch when above 0.
	Nodes, GPUsPerNode, CPUsPerTask int
	Exclusive                       bool
	// SbatchArgs are further sbatch arguments, appended as given.
	SbatchArgs []string
	// SharedDir is a directory every node sees at the same path, absolute: job specs and
	// logs live there.
	SharedDir string
	// Evalplan is the evalplan binary on the nodes; default "evalplan" (on PATH).
	Evalplan string
	// Containers is how container tasks (runtime = "docker") run on the nodes:
	// ContainersDocker (default: the node's Docker daemon, which pulls the image) or
	// ContainersPyxis (srun --container-image through Pyxis/enroot; planned runs are
	// refused until it is supported).
	Containers string
	// ContainersRange is where containers is set, for diagnostics; zero when it is not.
	ContainersRange hcl.Range
	// PollInterval is the time between squeue polls; default 5 s.
	PollInterval time.Duration
	// MaxResubmits bounds the resubmissions of a job the cluster ended (timeout,
	// preemption, node failure); default 2.
	MaxResubmits int
	// ModelServer is where the managed (vllm) endpoints of its runs run: ModelServerInJob
	// (default) or ModelServerOwnJob.
	ModelServer string
	// SSH is the login node that runs the Slurm commands; nil runs them on this machine.
	SSH       *SSH
	DeclRange hcl.Range
}

// SSH is an executor's ssh block: the Slurm commands run on Host over one SSH connection.
// It names the key file and never holds the key.
type SSH struct {
	Host string
	// User is the login name; default the current user.
	User string
	// Port is the SSH port; default 22.
	Port int
	// IdentityFile is the private key file, "~/" expanded; "" uses the ssh-agent
	// (SSH_AUTH_SOCK).
	IdentityFile string
	// KnownHosts is the known_hosts file the host key is checked against; default
	// ~/.ssh/known_hosts.
	KnownHosts string
	DeclRange  hcl.Range
}

// Values of an executor's model_server.
const (
	// ModelServerInJob starts a managed endpoint's server inside the job that carries out
	// its runs: the runs of one endpoint that are ready together share one job.
	ModelServerInJob = "in_job"
	// ModelServerOwnJob runs a managed endpoint's server as a Slurm job of its own; the run
	// jobs depend on it and read its URL from the shared directory.
	ModelServerOwnJob = "own_job"
)

// How container tasks run on a cluster's nodes (Executor.Containers).
const (
	ContainersDocker = "docker"
	ContainersPyxis  = "pyxis"
)

// Check is a check block; its condition is evaluated after apply.
type Check struct {
	Name         string
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

// Output is an output block.
type Output struct {
	Name      string
	Value     hcl.Expression
	Sensitive bool
	DeclRange hcl.Range
}
