package vllm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/gpu"
)

// Derivation constants. They are vLLM's defaults or deliberately round numbers; see
// docs/decisions.md ("Derived vLLM settings").
const (
	// DefaultUtilization is the gpu_memory_utilization used when every GPU is free (vLLM's default).
	DefaultUtilization = 0.90
	// utilizationMargin is left free below what other processes hold.
	utilizationMargin = 0.02
	// OverheadBytes is held per GPU outside weights and KV cache (activations, CUDA graphs).
	OverheadBytes = 2 << 30
	// UsefulKVTokens is what a useful KV cache holds at least: 16 sequences of
	// TypicalSequence, or one long one; more when the user's max_model_len is longer.
	UsefulKVTokens = 32768
	// TypicalSequence is the length max_num_seqs is sized for (prompt plus answer of an eval).
	TypicalSequence = 2048
	// MaxNumSeqsDefault is vLLM's default max_num_seqs, the most derived.
	MaxNumSeqsDefault = 256
)

// Settings are the server settings of a managed endpoint, derived or set by the user.
type Settings struct {
	TensorParallelSize   int     `json:"tensor_parallel_size"`
	GPUMemoryUtilization float64 `json:"gpu_memory_utilization"`
	// MaxModelLen is 0 when the model's maximum is unknown (vLLM's own default then).
	MaxModelLen int `json:"max_model_len,omitempty"`
	MaxNumSeqs  int `json:"max_num_seqs"`
	// KVCacheTokens is how many tokens the KV cache holds at these settings.
	KVCacheTokens int `json:"kv_cache_tokens"`
	// Truncates reports that MaxModelLen is below the model's maximum because of memory: a
	// value that changes results, so it is part of the endpoint's fingerprint.
	Truncates bool `json:"truncates,omitempty"`
}

// Reason says why a derived setting has its value.
type Reason struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Why   string `json:"why"`
}

// String is "name = value: why".
func (r Reason) String() string { return r.Name + " = " + r.Value + ": " + r.Why }

// user are the values the configuration sets: the server block's attributes, else the same
// settings in extra_args (NIM: in env); 0 means unset.
type user struct {
	tp, maxLen, maxSeqs int
	util                float64
}

func userValues(v config.ManagedServer) user {
	u := user{tp: v.TensorParallelSize, util: v.GPUMemoryUtilization, maxLen: v.MaxModelLen, maxSeqs: v.MaxNumSeqs}
	k := kindOf(&v)
	f := k.flags()
	value := func(i int) string {
		switch {
		case f[i] == "":
			return ""
		case k.name() == config.ServerNIM:
			return v.Env[f[i]]
		case i == setTP && k.name() == config.ServerSGLang: // --tp-size, or its aliases
			return lastNonEmpty(flagValue(v.ExtraArgs, "tensor-parallel-size"), flagValue(v.ExtraArgs, "tp"), flagValue(v.ExtraArgs, "tp-size"))
		}
		return flagValue(v.ExtraArgs, f[i])
	}
	if u.tp == 0 {
		u.tp, _ = strconv.Atoi(value(setTP))
	}
	if u.util == 0 {
		u.util, _ = strconv.ParseFloat(value(setUtil), 64)
	}
	if u.maxLen == 0 {
		u.maxLen, _ = strconv.Atoi(value(setMaxLen))
	}
	if u.maxSeqs == 0 {
		u.maxSeqs, _ = strconv.Atoi(value(setMaxSeqs))
	}
	return u
}

func lastNonEmpty(xs ...string) string {
	out := ""
	for _, x := range xs {
		if x != "" {
			out = x
		}
	}
	return out
}

// complete reports whether the user sets every value the kind takes, so that nothing is left
// to derive.
func (u user) complete(k kind) bool {
	n := k.names()
	return u.tp > 0 && u.maxLen > 0 && (u.util > 0 || n[setUtil] == "") && (u.maxSeqs > 0 || n[setMaxSeqs] == "")
}

// flagValue is the last value of --name in args ("--name v" or "--name=v", underscores
// read as dashes), "" when absent.
func flagValue(args []string, name string) string {
	val := ""
	for i := 0; i < len(args); i++ {
		if !strings.HasPrefix(args[i], "--") {
			continue
		}
		n, v, ok := strings.Cut(strings.TrimPrefix(args[i], "--"), "=")
		if strings.ReplaceAll(n, "_", "-") != name {
			continue
		}
		if !ok && i+1 < len(args) {
			v = args[i+1]
			i++
		}
		val = v
	}
	return val
}

// Derive derives a managed endpoint's server settings from the model and the GPUs the
// server may use (in the order it uses them); every value the user sets wins. Each derived
// value comes with a Reason named as the server block names it (sglang: tp,
// mem_fraction_static, context_length, max_running_requests); a setting NIM takes no
// variable for is derived all the same and its reason says it is not passed. The error says
// what does not fit and what to set. The memory model is vLLM's; SGLang's
// mem_fraction_static is the same fraction of GPU memory for weights and KV cache.
func Derive(m ModelConfig, gpus []gpu.Device, v config.ManagedServer) (Settings, []Reason, error) {
	s, reasons, err := derive(m, gpus, v)
	if err != nil {
		return s, nil, err
	}
	return s, rename(kindOf(&v), reasons), nil
}

// rename gives reasons the kind's names; a setting the kind has no name for keeps vLLM's
// and says that it is not passed.
func rename(k kind, reasons []Reason) []Reason {
	canon, names := vllmKind{}.names(), k.names()
	for i, r := range reasons {
		for j, c := range canon {
			if r.Name != c || names[j] == c {
				continue
			}
			if names[j] == "" {
				reasons[i].Why += fmt.Sprintf("; not passed: %s takes no setting for it, its own default applies", k.label())
			} else {
				reasons[i].Name = names[j]
			}
		}
		if k.name() != config.ServerVLLM {
			reasons[i].Why = strings.ReplaceAll(reasons[i].Why, "vLLM's default", "evalplan's default (vLLM's)")
		}
	}
	return reasons
}

func derive(m ModelConfig, gpus []gpu.Device, v config.ManagedServer) (Settings, []Reason, error) {
	u := userValues(v)
	names := kindOf(&v).names()
	if len(gpus) == 0 {
		return Settings{}, nil, fmt.Errorf("no GPUs to derive settings from")
	}
	if u.tp > len(gpus) {
		return Settings{}, nil, fmt.Errorf("%s = %d needs %d GPUs; the gpu block has %d", names[setTP], u.tp, u.tp, len(gpus))
	}
	weights, kvTok := m.WeightBytes(), m.KVBytesPerToken()
	dtype := m.weightKind()
	useful := max(UsefulKVTokens, u.maxLen)
	usefulKV := int64(useful) * kvTok
	var s Settings
	var reasons []Reason
	var util float64
	var budget int64
	tried, triedUtil := 0, 0.0 // the largest split tried that did not fit, and its utilization
	for t := 1; t <= len(gpus); t++ {
		if u.tp > 0 && t != u.tp || !splits(m, t) {
			continue
		}
		util = u.util
		if util == 0 {
			util = utilization(gpus[:t])
		}
		budget = perGPUBudget(gpus[:t], util)
		if weights/int64(t)+usefulKV/int64(t) <= budget {
			s.TensorParallelSize = t
			break
		}
		tried, triedUtil = t, util
		if u.tp > 0 {
			break
		}
	}
	if s.TensorParallelSize == 0 && u.tp > 0 {
		return Settings{}, nil, fmt.Errorf("%s = %d: %s of %s weights and %s of KV cache (%d tokens) do not fit %s at %.2f (%s usable per GPU); raise %s, or remove it to derive it",
			names[setTP], u.tp, gib(weights), dtype, gib(usefulKV), useful, describe(gpus[:u.tp]), util, gib(max(budget, 0)), names[setTP])
	}
	if s.TensorParallelSize == 0 {
		return Settings{}, nil, fmt.Errorf("%s of %s weights and %s of KV cache (%d tokens) do not fit %s at %.2f (%s usable per GPU); add GPUs, free memory, serve a quantized model, or lower %s",
			gib(weights), dtype, gib(usefulKV), useful, describe(gpus), util, gib(max(budget, 0)), names[setMaxLen])
	}
	t := s.TensorParallelSize
	s.GPUMemoryUtilization = util
	if u.tp == 0 {
		reasons = append(reasons, tpReason(t, tried, weights, dtype, usefulKV, gpus, util, triedUtil))
	}
	if u.util == 0 {
		reasons = append(reasons, utilReason(gpus[:t], util))
	}
	kvTotal := (budget - weights/int64(t)) * int64(t)
	s.KVCacheTokens = int(kvTotal / kvTok)
	reasons = s.deriveMaxModelLen(m, u, reasons)
	reasons = s.deriveMaxNumSeqs(u, reasons)
	return s, reasons, nil
}

// splits reports whether the model's attention splits over t GPUs: t divides the attention
// heads, and the KV heads divide t or are divided by it (vLLM replicates KV heads).
func splits(m ModelConfig, t int) bool {
	kv := m.kvHeads()
	return m.NumAttentionHeads%t == 0 && (kv%t == 0 || t%kv == 0)
}

// utilization is the largest fraction of total memory every device has free, less a
// margin, rounded down to 0.01, at most DefaultUtilization.
func utilization(devs []gpu.Device) float64 {
	u := DefaultUtilization
	for _, d := range devs {
		if d.MemoryTotalMiB <= 0 {
			continue
		}
		f := math.Floor((float64(d.MemoryFreeMiB)/float64(d.MemoryTotalMiB)-utilizationMargin)*100+1e-9) / 100
		u = min(u, f)
	}
	return max(u, 0)
}

// perGPUBudget is what weights and KV cache may use on each GPU: the smallest device's
// share at util, less OverheadBytes.
func perGPUBudget(devs []gpu.Device, util float64) int64 {
	least := devs[0].MemoryTotalMiB
	for _, d := range devs[1:] {
		least = min(least, d.MemoryTotalMiB)
	}
	return int64(util*float64(least)*(1<<20)) - OverheadBytes
}

// tpReason explains t: what fits one GPU, or what did not fit the largest smaller split.
func tpReason(t, tried int, weights int64, dtype string, kv int64, gpus []gpu.Device, util, triedUtil float64) Reason {
	r := Reason{Name: "tensor_parallel_size", Value: strconv.Itoa(t)}
	need := fmt.Sprintf("%s of %s weights with %s of KV cache", gib(weights), dtype, gib(kv))
	size := gib(mib(gpus[0].MemoryTotalMiB))
	switch tried {
	case 0:
		r.Why = fmt.Sprintf("%s fit one %s GPU at %.2f", need, size, util)
	case 1:
		r.Why = fmt.Sprintf("%s do not fit one %s GPU at %.2f", need, size, triedUtil)
	default:
		r.Why = fmt.Sprintf("%s do not fit %d × %s GPUs at %.2f", need, tried, size, triedUtil)
	}
	return r
}

func utilReason(devs []gpu.Device, util float64) Reason {
	r := Reason{Name: "gpu_memory_utilization", Value: fmt.Sprintf("%.2f", util)}
	if util >= DefaultUtilization {
		r.Why = fmt.Sprintf("vLLM's default; %s free", describeFree(devs))
		return r
	}
	for _, d := range devs {
		held := d.MemoryTotalMiB - d.MemoryFreeMiB
		if utilization([]gpu.Device{d}) == util {
			r.Why = fmt.Sprintf("GPU %d has %s free of %s (other processes hold %s), less a %.2f margin", d.Index, gib(mib(d.MemoryFreeMiB)), gib(mib(d.MemoryTotalMiB)), gib(mib(held)), utilizationMargin)
			return r
		}
	}
	return r
}

func (s *Settings) deriveMaxModelLen(m ModelConfig, u user, reasons []Reason) []Reason {
	switch {
	case u.maxLen > 0:
		s.MaxModelLen = u.maxLen
		return reasons
	case m.MaxPositions == 0:
		return reasons
	case s.KVCacheTokens >= m.MaxPositions:
		s.MaxModelLen = m.MaxPositions
		return append(reasons, Reason{"max_model_len", strconv.Itoa(s.MaxModelLen),
			fmt.Sprintf("the model's maximum; the KV cache holds %d tokens", s.KVCacheTokens)})
	}
	s.MaxModelLen = s.KVCacheTokens / 1024 * 1024
	s.Truncates = true
	return append(reasons, Reason{"max_model_len", strconv.Itoa(s.MaxModelLen),
		fmt.Sprintf("the KV cache holds %d tokens, fewer than the model's %d (truncates the context)", s.KVCacheTokens, m.MaxPositions)})
}

func (s *Settings) deriveMaxNumSeqs(u user, reasons []Reason) []Reason {
	if u.maxSeqs > 0 {
		s.MaxNumSeqs = u.maxSeqs
		return reasons
	}
	n := s.KVCacheTokens / TypicalSequence
	s.MaxNumSeqs = max(1, min(n, MaxNumSeqsDefault))
	why := fmt.Sprintf("the KV cache holds %d sequences of %d tokens", n, TypicalSequence)
	if n > MaxNumSeqsDefault {
		why += fmt.Sprintf("; vLLM's default %d is the most", MaxNumSeqsDefault)
	}
	return append(reasons, Reason{"max_num_seqs", strconv.Itoa(s.MaxNumSeqs), why})
}

func mib(n int) int64 { return int64(n) << 20 }

// gib formats bytes as GiB: whole above 10, one decimal below.
func gib(b int64) string {
	g := float64(b) / (1 << 30)
	if g >= 10 {
		return fmt.Sprintf("%.0f GiB", g)
	}
	return fmt.Sprintf("%.1f GiB", g)
}

// describe is "1 × NVIDIA H100 80GB HBM3 (80 GiB)", or a list when they differ.
func describe(gpus []gpu.Device) string {
	same := true
	for _, d := range gpus[1:] {
		same = same && d.Name == gpus[0].Name && d.MemoryTotalMiB == gpus[0].MemoryTotalMiB
	}
	if same {
		return fmt.Sprintf("%d × %s GPU", len(gpus), gib(mib(gpus[0].MemoryTotalMiB)))
	}
	var parts []string
	for _, d := range gpus {
		parts = append(parts, gib(mib(d.MemoryTotalMiB)))
	}
	return "GPUs of " + strings.Join(parts, ", ")
}

func describeFree(devs []gpu.Device) string {
	if len(devs) == 1 {
		return fmt.Sprintf("%s of %s", gib(mib(devs[0].MemoryFreeMiB)), gib(mib(devs[0].MemoryTotalMiB)))
	}
	least := devs[0]
	for _, d := range devs[1:] {
		if d.MemoryFreeMiB < least.MemoryFreeMiB {
			least = d
		}
	}
	return fmt.Sprintf("every GPU has at least %s of %s", gib(mib(least.MemoryFreeMiB)), gib(mib(least.MemoryTotalMiB)))
}
