package plan

import (
	"context"

	"github.com/evalplan/evalplan/plan/config"
)

// Fingerprint is the identity of an endpoint: what the model server is, not where it is.
type Fingerprint struct {
	Model        string   `json:"model"`
	Type         string   `json:"type"`
	Revision     string   `json:"revision,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	MaxModelLen  int      `json:"max_model_len,omitempty"`
	// Image is a managed endpoint's server image (docker runtime), pinned by digest once
	// refreshed: "repo:tag@sha256:…".
	Image string `json:"image,omitempty"`
	// ServerArgs are a managed endpoint's result-affecting server arguments, normalised
	// ("--dtype=bfloat16"); see the Services provider for which arguments count.
	ServerArgs []string `json:"server_args,omitempty"`
	// Server is a managed endpoint's server kind when it is not vLLM ("sglang", "nim"):
	// another engine answers differently. Empty for vLLM, so that vLLM endpoints keep the
	// identities they had before other kinds existed.
	Server string `json:"server,omitempty"`
	// Quantization is the checkpoint's quantization as its config.json declares it
	// ("awq 4-bit", "fp8"), when the model's config.json is at hand.
	Quantization string `json:"quantization,omitempty"`
}

// Endpoints reads live facts of external endpoints.
type Endpoints interface {
	// Probe asks an external endpoint what it serves (GET {url}/models, no completion) and
	// returns its fingerprint. Errors name the endpoint and say what to do.
	Probe(ctx context.Context, ep *config.Endpoint) (Fingerprint, error)
}

// DatasetFile is a dataset fetched into the local cache.
type DatasetFile struct {
	// Path is the local file (or directory, for a directory or glob source).
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Datasets fetches dataset sources into the content-addressed cache.
type Datasets interface {
	// Cached reports the cached file for a source whose sha256 is known, without network.
	Cached(ds *config.Dataset, cacheDir string) (DatasetFile, bool)
	// Fetch makes the dataset available locally, verifying sha256 when declared.
	Fetch(ctx context.Context, ds *config.Dataset, cacheDir string, progress Progress) (DatasetFile, error)
}
