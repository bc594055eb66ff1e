package plan

import "testing"

// TestSamePrior: with refresh off, a managed endpoint keeps its recorded fingerprint (the
// image pinned by digest) only while the configuration still describes it.
func TestSamePrior(t *testing.T) {
	cfg := Fingerprint{Model: "m", Type: "chat", MaxModelLen: 8192, Image: "vllm/vllm-openai:v0.11.0", ServerArgs: []string{"--dtype=bfloat16"}}
	pinned := cfg
	pinned.Image = "vllm/vllm-openai:v0.11.0@sha256:abc"
	tests := []struct {
		name    string
		prior   func(Fingerprint) Fingerprint
		managed bool
		want    bool
	}{
		{"pinned image", func(f Fingerprint) Fingerprint { return pinned }, true, true},
		{"same", func(f Fingerprint) Fingerprint { return f }, true, true},
		{"other tag", func(f Fingerprint) Fingerprint { f.Image = "vllm/vllm-openai:v0.10.0@sha256:abc"; return f }, true, false},
		{"server args", func(f Fingerprint) Fingerprint { f.ServerArgs = nil; return f }, true, false},
		{"max_model_len", func(f Fingerprint) Fingerprint { f.MaxModelLen = 4096; return f }, true, false},
		{"external ignores server fields", func(f Fingerprint) Fingerprint { f.MaxModelLen = 4096; return f }, false, true},
		{"model", func(f Fingerprint) Fingerprint { f.Model = "n"; return f }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := samePrior(tt.prior(cfg), cfg, tt.managed); got != tt.want {
				t.Errorf("samePrior = %v, want %v", got, tt.want)
			}
		})
	}
}
