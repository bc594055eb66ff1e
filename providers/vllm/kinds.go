package vllm

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
)

// Setting indexes: the four settings derived for every kind, in kind.names and kind.flags.
const (
	setTP = iota
	setUtil
	setMaxLen
	setMaxSeqs
	numSettings
)

// kind is what differs between the model servers evalplan manages (config.ServerKinds): how
// the server is started and told its settings, when it is ready, where its metrics are and
// which of its arguments change results. Everything else (runtimes, records, readiness
// polling, derivation) is shared.
type kind interface {
	// name is the block type ("vllm"); label names the server in messages ("vLLM").
	name() string
	label() string
	// defaultImage is the docker runtime's image when the block names none ("" when the
	// block must name one).
	defaultImage() string
	// program is the process runtime's program and its leading arguments; nil when the
	// kind runs only in a container.
	program() []string
	// install says how to get program on PATH.
	install() string
	// args are the server arguments after program (process) or to the image (docker).
	args(ep *config.Endpoint, port int) []string
	// imageServes reports whether the image's entrypoint is the server (args go to Cmd),
	// or the container runs program with args (false).
	imageServes() bool
	// env are the server's own variables (NIM reads its settings from them).
	env(ep *config.Endpoint, port int) []string
	// cacheMount is where the model cache is mounted in a container, and the host
	// directory mounted there (see Provider.cacheDir).
	cacheMount() string
	// healthPath answers 200 once the server is up; metricsPath serves Prometheus metrics.
	healthPath() string
	metricsPath() string
	// servedName says how to make the server serve the model under the endpoint's model.
	servedName() string
	// names are the block's attribute names of the four derived settings ("" when the block
	// has none); flags the same as server flags in extra_args, or as env variables for NIM.
	names() [numSettings]string
	flags() [numSettings]string
	// isResultFlag reports the flags (without dashes) that change what the model answers.
	isResultFlag(name string) bool
}

// kindOf is the kind of a server block; a block without a Kind is vLLM's.
func kindOf(v *config.ManagedServer) kind {
	if v != nil {
		switch v.Kind {
		case config.ServerSGLang:
			return sglangKind{}
		case config.ServerNIM:
			return nimKind{}
		}
	}
	return vllmKind{}
}

// vllmKind is vLLM: `vllm serve MODEL`, or the vllm/vllm-openai image whose entrypoint is
// the server.
type vllmKind struct{}

func (vllmKind) name() string         { return config.ServerVLLM }
func (vllmKind) label() string        { return "vLLM" }
func (vllmKind) defaultImage() string { return DefaultImage }
func (vllmKind) program() []string    { return []string{"vllm", "serve"} }
func (vllmKind) install() string      { return "install vLLM (pip install vllm) so that vllm is on PATH" }
func (vllmKind) imageServes() bool    { return true }
func (vllmKind) cacheMount() string   { return containerHFCache }
func (vllmKind) healthPath() string   { return "/health" }
func (vllmKind) metricsPath() string  { return "/metrics" }
func (vllmKind) servedName() string   { return "vLLM: --served-model-name" }
func (vllmKind) env(*config.Endpoint, int) []string {
	return nil
}
func (vllmKind) args(ep *config.Endpoint, port int) []string { return ServeArgs(ep, port) }
func (vllmKind) names() [numSettings]string {
	return [numSettings]string{"tensor_parallel_size", "gpu_memory_utilization", "max_model_len", "max_num_seqs"}
}
func (vllmKind) flags() [numSettings]string {
	return [numSettings]string{"tensor-parallel-size", "gpu-memory-utilization", "max-model-len", "max-num-seqs"}
}
func (vllmKind) isResultFlag(name string) bool { return isResultFlag(name) }

// DefaultSGLangImage is the sglang block's docker image when it names none.
const DefaultSGLangImage = "lmsysorg/sglang:latest"

// sglangKind is SGLang: `python3 -m sglang.launch_server --model-path MODEL`, in the
// lmsysorg/sglang image too (which has no server entrypoint).
type sglangKind struct{}

func (sglangKind) name() string         { return config.ServerSGLang }
func (sglangKind) label() string        { return "SGLang" }
func (sglangKind) defaultImage() string { return DefaultSGLangImage }
func (sglangKind) program() []string    { return []string{"python3", "-m", "sglang.launch_server"} }
func (sglangKind) install() string {
	return `install SGLang (pip install "sglang[all]") for the python3 on PATH`
}
func (sglangKind) imageServes() bool   { return false }
func (sglangKind) cacheMount() string  { return containerHFCache }
func (sglangKind) healthPath() string  { return "/health" }
func (sglangKind) metricsPath() string { return "/metrics" }
func (sglangKind) servedName() string  { return "SGLang: --served-model-name" }
func (sglangKind) env(*config.Endpoint, int) []string {
	return nil
}
func (sglangKind) args(ep *config.Endpoint, port int) []string { return SGLangArgs(ep, port) }
func (sglangKind) names() [numSettings]string {
	return [numSettings]string{"tp", "mem_fraction_static", "context_length", "max_running_requests"}
}
func (sglangKind) flags() [numSettings]string {
	return [numSettings]string{"tp-size", "mem-fraction-static", "context-length", "max-running-requests"}
}

// isResultFlag reports SGLang's flags that change answers: numerics, the weights and
// tokenizer, the context, sampling defaults and the prompt's shape.
func (sglangKind) isResultFlag(name string) bool {
	switch name {
	case "dtype", "quantization", "kv-cache-dtype",
		"revision", "tokenizer-path", "tokenizer-mode", "trust-remote-code", "load-format",
		"json-model-override-args", "lora-paths", "context-length",
		"random-seed", "sampling-defaults", "preferred-sampling-params",
		"chat-template", "reasoning-parser":
		return true
	}
	return false
}

// SGLangArgs are the arguments of `python3 -m sglang.launch_server` derived from an sglang
// block: --model-path MODEL, --host 127.0.0.1, --port PORT, --enable-metrics (so that the
// client's limiter can steer by the server's queue), then --tp, --mem-fraction-static,
// --context-length, --max-running-requests and --revision when set, then extra_args.
func SGLangArgs(ep *config.Endpoint, port int) []string {
	head := []string{"--model-path", ep.Model, "--host", loopback, "--port", strconv.Itoa(port), "--enable-metrics"}
	return settingArgs(ep, port, head, settingFlags{"--tp", "--mem-fraction-static", "--context-length", "--max-running-requests"})
}

// Where a NIM container keeps its cache, and the host directory mounted there.
const (
	// NIMCache is the cache directory inside a NIM container (NIM_CACHE_PATH's default).
	NIMCache = "/opt/nim/.cache"
	// NIMCacheEnv names the host directory to mount there; default HOME/.cache/nim.
	NIMCacheEnv = "LOCAL_NIM_CACHE"
	// NGCAPIKey is the host variable passed to a NIM container to download its model; it
	// is a secret: never recorded in launches, plans, state or logs.
	NGCAPIKey = "NGC_API_KEY"
)

// nimKind is an NVIDIA NIM for LLMs container: the image serves one model; its settings are
// NIM_* variables.
type nimKind struct{}

func (nimKind) name() string         { return config.ServerNIM }
func (nimKind) label() string        { return "NIM" }
func (nimKind) defaultImage() string { return "" }
func (nimKind) program() []string    { return nil }
func (nimKind) install() string      { return "" }
func (nimKind) imageServes() bool    { return true }
func (nimKind) cacheMount() string   { return NIMCache }
func (nimKind) healthPath() string   { return "/v1/health/ready" }
func (nimKind) metricsPath() string  { return "/v1/metrics" }
func (nimKind) servedName() string   { return "NIM: NIM_SERVED_MODEL_NAME in env" }
func (nimKind) args(*config.Endpoint, int) []string {
	return nil
}
func (nimKind) names() [numSettings]string {
	return [numSettings]string{"tensor_parallel_size", "", "max_model_len", ""}
}
func (nimKind) flags() [numSettings]string {
	return [numSettings]string{"NIM_TENSOR_PARALLEL_SIZE", "", "NIM_MAX_MODEL_LEN", ""}
}

// isResultFlag reports NIM's variables that change answers: the profile (precision and
// engine), the context length and a custom model or tokenizer.
func (nimKind) isResultFlag(name string) bool {
	switch name {
	case "NIM_MODEL_PROFILE", "NIM_MAX_MODEL_LEN", "NIM_MODEL_NAME", "NIM_MODEL_PATH", "NIM_TOKENIZER_MODE",
		"NIM_GUIDED_DECODING_BACKEND", "NIM_ENABLE_KV_CACHE_REUSE":
		return true
	}
	return false
}

// env are NIM's variables: NIM_SERVER_PORT, NIM_SERVED_MODEL_NAME (the endpoint's model),
// NIM_CACHE_PATH, and NIM_TENSOR_PARALLEL_SIZE and NIM_MAX_MODEL_LEN when set or derived.
// NGC_API_KEY comes from the host (see Provider.containerEnv), never from here.
func (nimKind) env(ep *config.Endpoint, port int) []string {
	v := ep.Server
	env := []string{"NIM_SERVER_PORT=" + strconv.Itoa(port), "NIM_SERVED_MODEL_NAME=" + ep.Model, "NIM_CACHE_PATH=" + NIMCache}
	if v.TensorParallelSize > 0 {
		env = append(env, "NIM_TENSOR_PARALLEL_SIZE="+strconv.Itoa(v.TensorParallelSize))
	}
	if v.MaxModelLen > 0 {
		env = append(env, "NIM_MAX_MODEL_LEN="+strconv.Itoa(v.MaxModelLen))
	}
	return env
}

// resultEnv are the block's env entries that change answers ("NAME=value", sorted).
func resultEnv(k kind, env map[string]string) []string {
	var out []string
	for name, val := range env {
		if k.isResultFlag(name) {
			out = append(out, name+"="+val)
		}
	}
	sort.Strings(out)
	return out
}

// cacheDir is the host directory mounted at the kind's cache in a container: for NIM
// $LOCAL_NIM_CACHE or HOME/.cache/nim; otherwise the Hugging Face cache (hfCache). "" when
// there is no home to put it in.
func (p *Provider) cacheDir(k kind) string {
	if k.cacheMount() != NIMCache {
		return p.hfCache()
	}
	if d := p.getenv(NIMCacheEnv); d != "" {
		return d
	}
	if home := p.getenv("HOME"); home != "" {
		return filepath.Join(home, ".cache", "nim")
	}
	return ""
}

// ensureCache creates a cache directory; a NIM cache is made writable by every user, as the
// NIM container does not run as root.
func ensureCache(dir string, k kind) error {
	_, err := os.Stat(dir)
	created := os.IsNotExist(err)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if created && k.cacheMount() == NIMCache {
		return os.Chmod(dir, 0o777)
	}
	return nil
}

// MetricsURL implements plan.ServiceMetrics: where the endpoint's server at base serves its
// Prometheus metrics (vLLM and SGLang /metrics, NIM /v1/metrics).
func (p *Provider) MetricsURL(ep *config.Endpoint, base string) string {
	return strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/v1") + kindOf(ep.Server).metricsPath()
}
