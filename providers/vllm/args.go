package vllm

import (
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
)

// PortPlaceholder in a command, extra_args or env value is replaced by the server's port.
const PortPlaceholder = "{port}"

// HostPlaceholder in a command, extra_args or env value is replaced by the address the
// server binds: 127.0.0.1, or the Provider's Host (0.0.0.0 for a server that other
// machines reach, such as a Slurm server job's).
const HostPlaceholder = "{host}"

// onHost binds args to host: HostPlaceholder is replaced and, when host is not loopback,
// the derived "--host 127.0.0.1" becomes "--host HOST".
func onHost(args []string, host string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, HostPlaceholder, host)
		if i > 0 && args[i-1] == "--host" && a == loopback {
			out[i] = host
		}
	}
	return out
}

// loopback is where a server binds unless the Provider's Host says otherwise.
const loopback = "127.0.0.1"

// ServeArgs are the server arguments evalplan derives from a vllm block, for the process
// runtime (after "vllm serve") and the docker runtime (the image's entrypoint is vLLM's
// server): MODEL, --host 127.0.0.1, --port PORT, then --tensor-parallel-size,
// --gpu-memory-utilization, --max-model-len and --revision when set, then extra_args. Unset
// values keep vLLM's defaults. max_num_seqs, set or derived, goes as --max-num-seqs.
func ServeArgs(ep *config.Endpoint, port int) []string {
	head := []string{ep.Model, "--host", loopback, "--port", strconv.Itoa(port)}
	return settingArgs(ep, port, head, settingFlags{"--tensor-parallel-size", "--gpu-memory-utilization", "--max-model-len", "--max-num-seqs"})
}

// settingFlags are a server's flag names for the settings evalplan sets or derives.
type settingFlags struct{ tp, memory, maxLen, maxSeqs string }

// settingArgs is head, then each set setting under its flag in f, --revision when set,
// then extra_args with {port} replaced.
func settingArgs(ep *config.Endpoint, port int, head []string, f settingFlags) []string {
	v := ep.Server
	args := head
	if v.TensorParallelSize > 0 {
		args = append(args, f.tp, strconv.Itoa(v.TensorParallelSize))
	}
	if v.GPUMemoryUtilization > 0 {
		args = append(args, f.memory, strconv.FormatFloat(v.GPUMemoryUtilization, 'f', -1, 64))
	}
	if v.MaxModelLen > 0 {
		args = append(args, f.maxLen, strconv.Itoa(v.MaxModelLen))
	}
	if v.MaxNumSeqs > 0 {
		args = append(args, f.maxSeqs, strconv.Itoa(v.MaxNumSeqs))
	}
	if ep.Revision != "" {
		args = append(args, "--revision", ep.Revision)
	}
	return append(args, withPort(v.ExtraArgs, port)...)
}

// command is the process runtime's command line: the block's command with extra_args
// appended, or the kind's program with its arguments (vllm serve with ServeArgs, python3 -m
// sglang.launch_server with SGLangArgs).
func command(ep *config.Endpoint, port int) []string {
	if len(ep.Server.Command) > 0 {
		return append(withPort(ep.Server.Command, port), withPort(ep.Server.ExtraArgs, port)...)
	}
	k := kindOf(ep.Server)
	return append(append([]string(nil), k.program()...), k.args(ep, port)...)
}

// withPort replaces PortPlaceholder in each element.
func withPort(xs []string, port int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ReplaceAll(x, PortPlaceholder, strconv.Itoa(port))
	}
	return out
}

// isResultFlag reports the vLLM server flags that change what the model answers, and so belong to
// a managed endpoint's identity: numerics (dtype, quantization, kv-cache-dtype), the weights
// and tokenizer loaded (revision, tokenizer*, load-format, hf-overrides, adapters), the
// context (max-model-len, rope-*), sampling defaults (seed, generation-config) and what the
// prompt and answer look like (chat-template*, reasoning-parser). Performance and placement
// flags (tensor/pipeline parallel size, gpu-memory-utilization, prefix caching, batch sizes,
// enforce-eager, swap space, ports) do not change results and never force a re-run.
func isResultFlag(name string) bool {
	switch name {
	case "dtype", "quantization", "kv-cache-dtype",
		"revision", "code-revision", "tokenizer", "tokenizer-mode", "tokenizer-revision",
		"trust-remote-code", "load-format", "hf-overrides", "enable-lora", "lora-modules",
		"max-model-len", "rope-scaling", "rope-theta",
		"seed", "generation-config", "override-generation-config",
		"chat-template", "chat-template-content-format", "reasoning-parser":
		return true
	}
	return false
}

// ResultArgs picks vLLM's result-affecting flags (see isResultFlag) out of a server command
// line, normalised as "--name=value" or "--name" (underscores read as dashes, short flags
// expanded), in command-line order. The port placeholder never counts.
func ResultArgs(args []string) []string { return resultArgs(vllmKind{}, args) }

// resultArgs is ResultArgs with the kind's result flags.
func resultArgs(k kind, args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name = strings.ReplaceAll(name, "_", "-")
		if name == "q" && !strings.HasPrefix(a, "--") && k.name() == config.ServerVLLM { // vLLM's only short flag
			name = "quantization"
		}
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			val, hasVal = args[i+1], true
			i++
		}
		if !k.isResultFlag(name) {
			continue
		}
		if hasVal {
			out = append(out, "--"+name+"="+val)
		} else {
			out = append(out, "--"+name)
		}
	}
	return out
}

// identityArgs are the result-affecting arguments of a managed endpoint: from its command
// (or the derived server line, less the flags the fingerprint holds itself: the context
// length from the block and the endpoint's revision) and extra_args; for NIM, the
// result-affecting variables of its env ("NIM_MODEL_PROFILE=…").
func identityArgs(ep *config.Endpoint) []string {
	v := ep.Server
	k := kindOf(v)
	if k.name() == config.ServerNIM {
		return resultEnv(k, v.Env)
	}
	if len(v.Command) > 0 {
		return resultArgs(k, append(append([]string(nil), v.Command...), v.ExtraArgs...))
	}
	return resultArgs(k, v.ExtraArgs)
}
