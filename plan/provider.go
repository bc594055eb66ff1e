package plan

import (
	"context"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/schema"
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
}

// Endpoints reads live facts of endpoints.
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

// RunSpec is everything a runner needs to perform one run.
type RunSpec struct {
	Address   string
	Suite     string
	Benchmark string // key as written, e.g. "native.gsm8k" or "task.my_qa"
	Task      *schema.Task
	UserTask  *config.Task // for task.NAME benchmarks
	Endpoint  *config.Endpoint
	// Image is the container image of a container task, pinned by digest
	// (repo[:tag]@sha256:…, after image_mirror and any benchmark block override).
	Image string
	// Fingerprint is the endpoint's identity, the namespace of its cached responses.
	Fingerprint Fingerprint
	// Dataset is the local dataset file for native tasks (zero for container tasks).
	Dataset DatasetFile
	// DatasetConfig is Dataset's block (format, header, columns); nil when unknown.
	DatasetConfig *config.Dataset
	// FewShot is the local file of a task block's few_shot_dataset (zero when none), and
	// FewShotConfig that dataset's block.
	FewShot       DatasetFile
	FewShotConfig *config.Dataset
	// Judge is the benchmark's judge endpoint (graded tasks), nil when none.
	Judge *config.Endpoint
	// Params are the effective parameters (catalog < suite < benchmark).
	Params   config.Params
	Identity string
	RunDir   string
	CacheDir string
	// Resume asks the runner to request only samples missing from RunDir's journal.
	Resume bool
	// NoCache disables the response cache (apply -no-cache).
	NoCache bool
}

// Status values of a run.
const (
	StatusRunning  = "running"
	StatusPartial  = "partial"
	StatusComplete = "complete"
	StatusFailed   = "failed"
)

// Outcome is what a runner reports when a run ends.
type Outcome struct {
	Status string // StatusComplete, StatusPartial or StatusFailed
	Result *result.Result
	Error  string
}

// Runner performs runs of one harness.
type Runner interface {
	Run(ctx context.Context, spec *RunSpec, progress Progress) (*Outcome, error)
}

// Progress receives progress events from slow work. Implementations must be safe for
// concurrent use.
type Progress interface {
	// Total sets the amount of work (samples, bytes).
	Total(addr string, n int64)
	// Add reports n more units done; errs counts failed units among them.
	Add(addr string, n int64, errs int64, tokens int64)
	// Log records a line of text about addr.
	Log(addr string, msg string)
}

// NopProgress discards progress.
type NopProgress struct{}

// Total implements Progress.
func (NopProgress) Total(string, int64) {}

// Add implements Progress.
func (NopProgress) Add(string, int64, int64, int64) {}

// Log implements Progress.
func (NopProgress) Log(string, string) {}
