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
}

// ParseModelConfig reads a config.json. Multimodal configs read their text_config.
func ParseModelConfig(b []byte) (ModelConfig, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return ModelConfig{}, fmt.Errorf("parse config.json: %w", err)
	}
	if r.HiddenSize == 0 && r.TextConfig != nil {
		dtype := r.DType
		r = *r.TextConfig
		if r.DType == "" {
			r.DType = dtype
		}
	}
	m := ModelConfig{
		Params: r.NumParameters, HiddenSize: r.HiddenSize, NumLayers: r.NumLayers,
		NumAttentionHeads: r.NumAttentionHeads, NumKVHeads: r.NumKVHeads, HeadDim: r.HeadDim,
		IntermediateSize: r.IntermediateSize, VocabSize: r.VocabSize, NumExperts: r.NumLocalExperts,
		TieEmbeddings: r.TieEmbeddings, DType: r.DType, MaxPositions: r.MaxPositions,
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

// bytesPerParam is the weight width vLLM serves with (dtype "auto": float32 checkpoints are
// served as float16), and the dtype's name for messages.
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

// WeightBytes is the size of the weights as served.
func (m ModelConfig) WeightBytes() int64 {
	b, _ := m.bytesPerParam()
	return m.EstimateParams() * b
}

// KVBytesPerToken is the KV cache of one token over all layers: keys and values of every KV
// head, at the weights' width.
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
