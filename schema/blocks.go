package schema

import "github.com/hashicorp/hcl/v2"

// Each function below returns a fresh hcl.BodySchema for one body of the eval.hcl language
// (DESIGN §2, "Blocks and attributes"). They are functions rather than package variables so
// that no caller can change the language for another. plan/config decodes with them; the
// `evalplan schema` command can describe the language from them.

// Block type names of the top level of a configuration file.
const (
	BlockEvalplan = "evalplan"
	BlockVariable = "variable"
	BlockLocals   = "locals"
	BlockGPU      = "gpu"
	BlockEndpoint = "endpoint"
	BlockDataset  = "dataset"
	BlockTask     = "task"
	BlockSuite    = "suite"
	// BlockInterceptor declares request/response transforms applied to a run's model
	// requests, native and container runs alike.
	BlockInterceptor = "interceptor"
	BlockExporter    = "exporter"
	// BlockExecutor declares where runs execute (a Slurm cluster); suites and their
	// benchmark blocks choose one with executor = executor.TYPE.NAME. Operational.
	BlockExecutor = "executor"
	BlockCheck    = "check"
	BlockOutput   = "output"
)

// Exporter types accepted as the first label of an exporter block.
const (
	ExporterMLflow = "mlflow"
	ExporterLocal  = "local"
)

// FileBody is the schema of a configuration file's top level.
func FileBody() *hcl.BodySchema {
	return &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: BlockEvalplan},
		{Type: BlockVariable, LabelNames: []string{"name"}},
		{Type: BlockLocals},
		{Type: BlockGPU, LabelNames: []string{"name"}},
		{Type: BlockEndpoint, LabelNames: []string{"name"}},
		{Type: BlockDataset, LabelNames: []string{"name"}},
		{Type: BlockTask, LabelNames: []string{"name"}},
		{Type: BlockSuite, LabelNames: []string{"name"}},
		{Type: BlockInterceptor, LabelNames: []string{"name"}},
		{Type: BlockExporter, LabelNames: []string{"type", "name"}},
		{Type: BlockExecutor, LabelNames: []string{"type", "name"}},
		{Type: BlockCheck, LabelNames: []string{"name"}},
		{Type: BlockOutput, LabelNames: []string{"name"}},
	}}
}

// EvalplanBody is the schema of the evalplan settings block.
func EvalplanBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "state"},
		{Name: "output_dir"},
		{Name: "cache_dir"},
		{Name: "parallelism"},
		{Name: "image_mirror"},
		{Name: "hf_cache"},
	}}
}

// VariableBody is the schema of a variable block.
func VariableBody() *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "type"},
			{Name: "default"},
			{Name: "description"},
			{Name: "sensitive"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
	}
}

// ValidationBody is the schema of a variable's validation block.
func ValidationBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	}}
}

// GPUBody is the schema of a gpu block.
func GPUBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "devices"},
		{Name: "min_free_mib"},
		{Name: "count"},
		{Name: "memory"},
		{Name: "name"},
	}}
}

// EndpointBody is the schema of an endpoint block.
func EndpointBody() *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "model", Required: true},
			{Name: "type"},
			{Name: "url"},
			{Name: "api_key"},
			{Name: "headers"},
			{Name: "revision"},
			{Name: "stream"},
			{Name: "allow_cross_host_redirects"},
			{Name: "capabilities"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "vllm"}, {Type: "sglang"}, {Type: "nim"}},
	}
}

// SensitiveEndpointAttributes lists the endpoint attributes that are sensitive by schema: their
// values never appear in state, plans, logs or diagnostics.
func SensitiveEndpointAttributes() []string { return []string{"api_key", "headers"} }

// ManagedServerBody is the schema of an endpoint's nested vllm block.
func ManagedServerBody() *hcl.BodySchema { return ServerBody("vllm") }

// ServerBody is the schema of an endpoint's nested server block of the given type: "vllm",
// "sglang" (the same settings under SGLang's names: tp, mem_fraction_static,
// context_length, max_running_requests) or "nim" (a container only: no runtime, command or
// extra_args; the settings NIM takes as environment variables). Nil for another type.
func ServerBody(kind string) *hcl.BodySchema {
	common := []hcl.AttributeSchema{{Name: "gpu"}, {Name: "image"}, {Name: "env"}, {Name: "start_timeout"}, {Name: "keep_running"}}
	process := []hcl.AttributeSchema{{Name: "runtime"}, {Name: "command"}, {Name: "extra_args"}}
	var settings []hcl.AttributeSchema
	switch kind {
	case "vllm":
		settings = []hcl.AttributeSchema{{Name: "tensor_parallel_size"}, {Name: "gpu_memory_utilization"}, {Name: "max_model_len"}, {Name: "max_num_seqs"}}
	case "sglang":
		settings = []hcl.AttributeSchema{{Name: "tp"}, {Name: "mem_fraction_static"}, {Name: "context_length"}, {Name: "max_running_requests"}}
	case "nim":
		return &hcl.BodySchema{Attributes: append(common, hcl.AttributeSchema{Name: "tensor_parallel_size"}, hcl.AttributeSchema{Name: "max_model_len"})}
	default:
		return nil
	}
	return &hcl.BodySchema{Attributes: append(append(common, process...), settings...)}
}

// DatasetBody is the schema of a dataset block.
func DatasetBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "source", Required: true},
		{Name: "sha256"},
		{Name: "format"},
		{Name: "header"},
		{Name: "columns"},
	}}
}

// TaskBody is the schema of a task block.
func TaskBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "dataset", Required: true},
		{Name: "prompt", Required: true},
		{Name: "target", Required: true},
		{Name: "system_prompt"},
		{Name: "extract"},
		{Name: "choices"},
		{Name: "few_shot"},
		{Name: "few_shot_dataset"},
		{Name: "metric"},
		{Name: "normalize"},
	}}
}

// SuiteBody is the schema of a suite block.
func SuiteBody() *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "endpoints", Required: true},
			{Name: "benchmarks"},
			{Name: "preset"},
			{Name: "categories"},
			{Name: "exclude"},
			{Name: "interceptors"},
			{Name: "env"},
			{Name: "env_from_host"},
			{Name: "executor"},
			{Name: "runtime"},
		},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "params"},
			{Type: "benchmark", LabelNames: []string{"name"}},
		},
	}
}

// ParamsBody is the schema of a params block (in a suite or in a suite's benchmark block).
func ParamsBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "limit_samples"},
		{Name: "temperature"},
		{Name: "top_p"},
		{Name: "max_new_tokens"},
		{Name: "seed"},
		{Name: "sample"},
		{Name: "extra"},
		{Name: "cache"},
		{Name: "parallelism"},
		{Name: "request_timeout"},
		{Name: "max_retries"},
		{Name: "timeout"},
	}}
}

// BenchmarkBody is the schema of a benchmark override block inside a suite.
func BenchmarkBody() *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "dataset"},
			{Name: "image"},
			{Name: "judge"},
			{Name: "interceptors"},
			{Name: "env"},
			{Name: "env_from_host"},
			{Name: "executor"},
			{Name: "runtime"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "params"}},
	}
}

// InterceptorBody is the schema of an interceptor block. Every attribute but headers
// changes what a model is asked or what its reply is scored on, and is part of the identity
// of the runs that use the interceptor; headers are operational and may be sensitive.
func InterceptorBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "system_prompt"},
		{Name: "remove_reasoning"},
		{Name: "params_add"},
		{Name: "params_remove"},
		{Name: "params_rename"},
		{Name: "headers"},
	}}
}

// SensitiveInterceptorAttributes lists the interceptor attributes that may hold sensitive
// values: they never appear in state, plans or logs.
func SensitiveInterceptorAttributes() []string { return []string{"headers"} }

// SensitiveRunAttributes lists the attributes of a suite and of its benchmark blocks that
// may hold sensitive values: env values reach a container only through the Docker API.
func SensitiveRunAttributes() []string { return []string{"env"} }

// ExporterBody returns the schema of an exporter block of the given type, or nil when the type
// is not one of ExporterTypes.
func ExporterBody(typ string) *hcl.BodySchema {
	switch typ {
	case ExporterMLflow:
		return &hcl.BodySchema{
			Attributes: []hcl.AttributeSchema{
				{Name: "tracking_uri"},
				{Name: "experiment"},
				{Name: "suites"},
				{Name: "run_name"},
				{Name: "tags"},
			},
			Blocks: []hcl.BlockHeaderSchema{{Type: "server"}},
		}
	case ExporterLocal:
		return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "suites"},
			{Name: "path"},
		}}
	}
	return nil
}

// ExporterTypes lists the exporter types, sorted.
func ExporterTypes() []string { return []string{ExporterLocal, ExporterMLflow} }

// MLflowServerBody is the schema of an mlflow exporter's nested server block.
func MLflowServerBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "managed"},
		{Name: "port"},
		{Name: "keep_running"},
	}}
}

// CheckBody is the schema of a check block.
func CheckBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	}}
}

// OutputBody is the schema of an output block.
func OutputBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true},
		{Name: "sensitive"},
	}}
}

// ExecutorSlurm is the executor type that submits runs as Slurm jobs.
const ExecutorSlurm = "slurm"

// ExecutorTypes lists the executor types, sorted.
func ExecutorTypes() []string { return []string{ExecutorSlurm} }

// ExecutorBody returns the schema of an executor block of the given type, or nil when the
// type is not one of ExecutorTypes. Every attribute is operational: where a run executes
// never changes its identity.
func ExecutorBody(typ string) *hcl.BodySchema {
	if typ != ExecutorSlurm {
		return nil
	}
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "partition"},
		{Name: "account"},
		{Name: "qos"},
		{Name: "time_limit"},
		{Name: "nodes"},
		{Name: "gpus_per_node"},
		{Name: "cpus_per_task"},
		{Name: "mem"},
		{Name: "constraint"},
		{Name: "exclusive"},
		{Name: "sbatch_args"},
		{Name: "shared_dir", Required: true},
		{Name: "evalplan"},
		{Name: "containers"},
		{Name: "poll_interval"},
		{Name: "max_resubmits"},
		{Name: "model_server"},
	}, Blocks: []hcl.BlockHeaderSchema{{Type: "ssh"}}}
}

// ExecutorSSHBody is the schema of a slurm executor's nested ssh block: the login node
// that runs sbatch, squeue, scontrol and scancel.
func ExecutorSSHBody() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "host", Required: true},
		{Name: "user"},
		{Name: "port"},
		{Name: "identity_file"},
		{Name: "known_hosts"},
	}}
}
