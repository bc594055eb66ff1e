package vllm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ModelConfig holds the facts of a model's config.json that settings are derived from.
type ModelConfig struct {
	// Params is the parameter count; 0 means estimated from the sizes below (EstimateParams).
	Params            int64
	HiddenSize        int
	NumLayers         int
	NumAttentionHeads int
	NumKVHeads        int // 0 means NumAttentionHeads (no grouped-query attention)
	HeadDim           int // 0 means HiddenSize / NumAttentionHeads
	IntermediateSize  int
	VocabSize         int
	NumExperts        int // MoE experts per layer (num_local_experts or num_experts); 0 means dense
	TieEmbeddings     bool
	DType             string // torch_dtype: bfloat16, float16, float32
	MaxPositions      int    // max_position_embeddings
	// Quant is the checkpoint's quantization_config; zero for an unquantized checkpoint.
	Quant Quantization
}

// Quantization is what a quantized checkpoint's quantization_config says about the width of
// its weights. Embeddings and the output head stay at the activation dtype.
type Quantization struct {
	// Method is quant_method: awq, gptq, fp8, compressed-tensors, bitsandbytes, modelopt, …
	Method string
	// Bits is the width of a quantized weight (4, 8); 0 when the config does not say.
	Bits int
	// Float reports floating-point weights (fp8, nvfp4), not integers.
	Float bool
	// GroupSize is how many weights share a scale (and zero point); 0 for per-channel or
	// per-tensor scales, whose size is negligible.
	GroupSize int
	// ScaleBits is the width of a group's scale (16 for fp16 scales, 8 for fp8 scales of
	// nvfp4); ZeroBits that of its zero point.
	ScaleBits, ZeroBits int
}

// String names the quantization for messages and the fingerprint: "awq 4-bit", "fp8",
// "compressed-tensors fp8", "bitsandbytes 4-bit"; "" for none.
func (q Quantization) String() string {
	switch {
	case q.Method == "":
		return ""
	case q.Float && q.Bits == 8 && q.Method == "fp8":
		return "fp8"
	case q.Float && q.Bits == 8:
		return q.Method + " fp8"
	case q.Float && q.Bits == 4:
		return q.Method + " fp4"
	case q.Bits > 0:
		return fmt.Sprintf("%s %d-bit", q.Method, q.Bits)
	}
	return q.Method
}

// BitsPerWeight is what one quantized weight takes with its share of the group's scale and
// zero point; 0 when unknown.
func (q Quantization) BitsPerWeight() float64 {
	if q.Bits <= 0 {
		return 0
	}
	b := float64(q.Bits)
	if q.GroupSize > 0 {
		b += float64(q.ScaleBits+q.ZeroBits) / float64(q.GroupSize)
	}
	return b
}

// rawQuant is the subset of quantization_config read here.
type rawQuant struct {
	Method       string `json:"quant_method"`
	Bits         int    `json:"bits"`
	GroupSize    *int   `json:"group_size"`
	Sym          *bool  `json:"sym"`
	LoadIn4Bit   bool   `json:"load_in_4bit"`
	LoadIn8Bit   bool   `json:"load_in_8bit"`
	DoubleQuant  bool   `json:"bnb_4bit_use_double_quant"`
	QuantAlgo    string `json:"quant_algo"`
	ConfigGroups map[string]struct {
		Weights *struct {
			NumBits   int    `json:"num_bits"`
			Type      string `json:"type"`
			GroupSize *int   `json:"group_size"`
			Strategy  string `json:"strategy"`
		} `json:"weights"`
	} `json:"config_groups"`
}

// parseQuant reads a quantization_config: AWQ and GPTQ (bits, group_size: fp16 scales and a
// zero point per group), fp8 (8-bit floats, per-tensor or per-channel scales),
// compressed-tensors (its first config group's weights), bitsandbytes (4-bit NF4 in blocks of
// 64 with an fp32 scale, an 8-bit one with double quantization; or 8-bit), modelopt (FP8;
// NVFP4 with an fp8 scale per 16) and mxfp4 (an 8-bit scale per 32). Another method with a
// bits field is sized by it.
func parseQuant(r *rawQuant) Quantization {
	if r == nil {
		return Quantization{}
	}
	q := Quantization{Method: strings.ToLower(r.Method), Bits: r.Bits}
	group := func(p *int, def int) int {
		if p != nil {
			return max(*p, 0) // -1: per channel
		}
		return def
	}
	switch q.Method {
	case "awq", "gptq", "autoround", "auto-round":
		if q.Bits == 0 {
			q.Bits = 4
		}
		q.GroupSize, q.ScaleBits, q.ZeroBits = group(r.GroupSize, 128), 16, q.Bits
		if r.Sym != nil && *r.Sym && q.Method == "gptq" {
			q.ZeroBits = 0
		}
	case "fp8", "fbgemm_fp8":
		q.Bits, q.Float = 8, true
	case "compressed-tensors":
		names := make([]string, 0, len(r.ConfigGroups))
		for n := range r.ConfigGroups {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			w := r.ConfigGroups[n].Weights
			if w == nil || w.NumBits == 0 {
				continue
			}
			q.Bits, q.Float = w.NumBits, w.Type == "float"
			if w.Strategy == "group" || w.Strategy == "tensor_group" {
				q.GroupSize, q.ScaleBits = group(w.GroupSize, 128), 16
			}
			break
		}
	case "bitsandbytes":
		switch {
		case r.LoadIn4Bit:
			q.Bits, q.GroupSize, q.ScaleBits = 4, 64, 32
			if r.DoubleQuant {
				q.ScaleBits = 8
			}
		case r.LoadIn8Bit:
			q.Bits = 8
		}
	case "modelopt":
		switch strings.ToUpper(r.QuantAlgo) {
		case "FP8":
			q.Bits, q.Float = 8, true
		case "NVFP4":
			q.Bits, q.Float, q.GroupSize, q.ScaleBits = 4, true, 16, 8
		}
	case "mxfp4":
		q.Bits, q.Float, q.GroupSize, q.ScaleBits = 4, true, 32, 8
	}
	return q
}

// rawConfig is the subset of a Hugging Face config.json read here.
type rawConfig struct {
	NumParameters     int64      `json:"num_parameters"`
	HiddenSize        int        `json:"hidden_size"`
	NumLayers         int        `json:"num_hidden_layers"`
	NumAttentionHeads int        `json:"num_attention_heads"`
	NumKVHeads        int        `json:"num_key_value_heads"`
	HeadDim           int        `json:"head_dim"`
	IntermediateSize  int        `json:"intermediate_size"`
	VocabSize         int        `json:"vocab_size"`
	NumLocalExperts   int        `json:"num_local_experts"`
	NumExperts        int        `json:"num_experts"`
	TieEmbeddings     bool       `json:"tie_word_embeddings"`
	DType             string     `json:"torch_dtype"`
	MaxPositions      int        `json:"max_position_embeddings"`
	TextConfig        *rawConfig `json:"text_config"`
	Quant             *rawQuant  `json:"quantization_config"`
}

// ParseModelConfig reads a config.json. Multimodal configs read their text_config.
func ParseModelConfig(b []byte) (ModelConfig, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return ModelConfig{}, fmt.Errorf("parse config.json: %w", err)
	}
	if r.HiddenSize == 0 && r.TextConfig != nil {
		dtype, quant := r.DType, r.Quant
		r = *r.TextConfig
		if r.DType == "" {
			r.DType = dtype
		}
		if r.Quant == nil {
			r.Quant = quant
		}
	}
	m := ModelConfig{
		Params: r.NumParameters, HiddenSize: r.HiddenSize, NumLayers: r.NumLayers,
		NumAttentionHeads: r.NumAttentionHeads, NumKVHeads: r.NumKVHeads, HeadDim: r.HeadDim,
		IntermediateSize: r.IntermediateSize, VocabSize: r.VocabSize, NumExperts: r.NumLocalExperts,
		TieEmbeddings: r.TieEmbeddings, DType: r.DType, MaxPositions: r.MaxPositions,
		Quant: parseQuant(r.Quant),
	}
	if m.NumExperts == 0 {
		m.NumExperts = r.NumExperts
	}
	if m.HiddenSize == 0 || m.NumLayers == 0 || m.NumAttentionHeads == 0 {
		return m, fmt.Errorf("config.json lacks hidden_size, num_hidden_layers or num_attention_heads")
	}
	return m, nil
}

// kvHeads is NumKVHeads, or NumAttentionHeads without grouped-query attention.
func (m ModelConfig) kvHeads() int {
	if m.NumKVHeads > 0 {
		return m.NumKVHeads
	}
	return m.NumAttentionHeads
}

// headDim is HeadDim, or HiddenSize / NumAttentionHeads.
func (m ModelConfig) headDim() int {
	if m.HeadDim > 0 {
		return m.HeadDim
	}
	return m.HiddenSize / m.NumAttentionHeads
}

// EstimateParams is Params, or an estimate from the sizes: embeddings (twice unless tied),
// and per layer the attention projections and a gated MLP (three matrices) per expert.
// Norms and biases are left out (well under 1%).
func (m ModelConfig) EstimateParams() int64 {
	if m.Params > 0 {
		return m.Params
	}
	h, q, kv := int64(m.HiddenSize), int64(m.NumAttentionHeads*m.headDim()), int64(m.kvHeads()*m.headDim())
	attn := 2*h*q + 2*h*kv
	experts := int64(max(m.NumExperts, 1))
	mlp := 3 * h * int64(m.IntermediateSize) * experts
	embed := int64(m.VocabSize) * h
	if !m.TieEmbeddings {
		embed *= 2
	}
	return embed + int64(m.NumLayers)*(attn+mlp)
}

// bytesPerParam is the activation width vLLM serves with (dtype "auto": float32
// checkpoints are served as float16), and the dtype's name for messages. A quantized
// checkpoint's unquantized weights (embeddings, output head) and its KV cache have this
// width.
func (m ModelConfig) bytesPerParam() (int64, string) {
	switch strings.ToLower(m.DType) {
	case "float8", "float8_e4m3fn", "fp8", "int8":
		return 1, "fp8"
	case "float16", "half":
		return 2, "fp16"
	case "float32", "float":
		return 2, "fp16"
	}
	return 2, "bf16"
}

// weightKind names the weights for messages: the quantization ("awq 4-bit") when the
// checkpoint is quantized and its width known, else the dtype ("bf16").
func (m ModelConfig) weightKind() string {
	if m.Quant.BitsPerWeight() > 0 {
		return m.Quant.String()
	}
	_, dtype := m.bytesPerParam()
	return dtype
}

// embedParams are the embedding and output-head parameters, which quantization leaves at the
// activation width.
func (m ModelConfig) embedParams() int64 {
	e := int64(m.VocabSize) * int64(m.HiddenSize)
	if !m.TieEmbeddings {
		e *= 2
	}
	return e
}

// WeightBytes is the size of the weights as served: a quantized checkpoint's weights at
// Quant.BitsPerWeight (scales and zero points included) and its embeddings and output head at
// the activation width; otherwise every weight at the activation width.
func (m ModelConfig) WeightBytes() int64 {
	b, _ := m.bytesPerParam()
	params := m.EstimateParams()
	bpw := m.Quant.BitsPerWeight()
	if bpw == 0 {
		return params * b
	}
	embed := min(m.embedParams(), params)
	return int64(float64(params-embed)*bpw/8) + embed*b
}

// KVBytesPerToken is the KV cache of one token over all layers: keys and values of every KV
// head, at the activation width (weight quantization leaves the KV cache as it is).
func (m ModelConfig) KVBytesPerToken() int64 {
	b, _ := m.bytesPerParam()
	return 2 * int64(m.NumLayers) * int64(m.kvHeads()) * int64(m.headDim()) * b
}

// FindModelConfig locates a model's config.json: MODEL/config.json when model is a local
// directory (relative to dir), else the Hugging Face cache
// (HF_HOME/hub, default HOME/.cache/huggingface/hub) snapshot of revision (refs/main when
// empty; any snapshot when the ref is unknown). getenv reads the environment.
func FindModelConfig(model, revision, dir string, getenv func(string) string) (string, error) {
	local := model
	if !filepath.IsAbs(local) {
		local = filepath.Join(dir, model)
	}
	if p := filepath.Join(local, "config.json"); fileExists(p) {
		return p, nil
	}
	hub := hfHub(getenv)
	repo := filepath.Join(hub, "models--"+strings.ReplaceAll(model, "/", "--"))
	ref := revision
	if ref == "" {
		ref = "main"
	}
	if b, err := os.ReadFile(filepath.Join(repo, "refs", ref)); err == nil {
		ref = strings.TrimSpace(string(b))
	}
	if p := filepath.Join(repo, "snapshots", ref, "config.json"); fileExists(p) {
		return p, nil
	}
	if revision == "" {
		matches, _ := filepath.Glob(filepath.Join(repo, "snapshots", "*", "config.json"))
		sort.Strings(matches)
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
	}
	return "", fmt.Errorf("no config.json for %s: not a local directory and not in the Hugging Face cache %s; download it (huggingface-cli download %s config.json) or set tensor_parallel_size, gpu_memory_utilization and max_model_len", model, hub, model)
}

// LoadModelConfig is FindModelConfig then ParseModelConfig.
func LoadModelConfig(model, revision, dir string, getenv func(string) string) (ModelConfig, error) {
	p, err := FindModelConfig(model, revision, dir, getenv)
	if err != nil {
		return ModelConfig{}, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ModelConfig{}, fmt.Errorf("read the model configuration: %w", err)
	}
	m, err := ParseModelConfig(b)
	if err != nil {
		return m, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

func hfHub(getenv func(string) string) string {
	if h := getenv("HF_HUB_CACHE"); h != "" {
		return h
	}
	if h := getenv("HF_HOME"); h != "" {
		return filepath.Join(h, "hub")
	}
	return filepath.Join(getenv("HOME"), ".cache", "huggingface", "hub")
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
