package sim

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultModel is the model served when Config.Models is empty.
const DefaultModel = "sim-model"

// DefaultAccuracy is the accuracy DefaultConfig sets.
const DefaultAccuracy = 0.7

// Flavors of Config.Flavor.
const (
	FlavorVLLM   = "vllm"
	FlavorSGLang = "sglang"
	FlavorNIM    = "nim"
)

// Config configures a simulated server. Start from DefaultConfig: the zero value is valid but
// answers every recognised sample wrongly (Accuracy 0).
type Config struct {
	// Addr is the listen address Run uses ("127.0.0.1:0" picks a free port).
	Addr string
	// URLFile, when set, is where Run writes the base URL "http://HOST:PORT/v1" (atomically)
	// once the server listens.
	URLFile string

	// Models are the model ids served; empty means DefaultModel.
	Models []string
	// MaxModelLen, when positive, is reported by /v1/models, and a request whose prompt
	// words plus max_tokens exceed it is refused with 400, as vLLM does.
	MaxModelLen int
	// APIKey, when set, is required as "Authorization: Bearer KEY" on every /v1 route.
	APIKey string

	// Latency is added to every generation request once it holds a slot.
	Latency time.Duration
	// Jitter adds a per-request delay drawn uniformly from [0, Jitter).
	Jitter time.Duration
	// Capacity is the number of generation requests processed at once; excess requests
	// queue in arrival order. Zero means unlimited.
	Capacity int
	// KVCache, when positive, models a vLLM server whose KV cache holds that many
	// sequences: a request that starts while more than KVCache are running is preempted
	// (counted) and its latency multiplied by (running ÷ KVCache)², so throughput
	// collapses past the cache as vLLM's does when it preempts and recomputes. /metrics
	// then also serves vLLM's names (vllm:num_requests_running, vllm:num_requests_waiting,
	// vllm:kv_cache_usage_perc, vllm:num_preemptions_total). Capacity is then vLLM's
	// max_num_seqs: the requests past it wait.
	KVCache int
	// Flavor is the server the simulator imitates: "" or FlavorVLLM (vLLM's routes and
	// metric names), FlavorSGLang (also /get_model_info; the KV-cache metrics under SGLang's
	// names: sglang:num_running_reqs, sglang:num_queue_reqs, sglang:token_usage,
	// sglang:num_retracted_reqs) or FlavorNIM (NVIDIA NIM: /v1/health/ready and
	// /v1/health/live instead of /health, metrics at /v1/metrics under NIM's unprefixed
	// names: num_requests_running, num_requests_waiting, gpu_cache_usage_perc).
	Flavor string

	// Accuracy is the fraction of recognised samples answered correctly, for models
	// without an entry in ModelAccuracy.
	Accuracy float64
	// ModelAccuracy overrides Accuracy per model.
	ModelAccuracy map[string]float64
	// Datasets are the files whose questions the server recognises (GSM8K, MATH-500 and
	// ARC JSONL, MMLU CSV).
	Datasets []string
	// Seed drives correctness, wording, jitter and fault choice.
	Seed int64

	// Faults injects errors into generation requests.
	Faults Faults
}

// Faults are the injected failure rates of generation requests, each in [0, 1]; their sum
// must not exceed 1. Which request faults is decided by a hash of the seed and the request's
// sequence number, so a run is reproducible in aggregate.
type Faults struct {
	// Rate429 answers 429 with a Retry-After header.
	Rate429 float64
	// RetryAfter is the Retry-After value in seconds sent with 429.
	RetryAfter int
	// Rate500 answers 500.
	Rate500 float64
	// RateHang never answers, until the client goes away or the server closes.
	RateHang float64
	// RateMalformed answers 200 with a body that is not valid JSON.
	RateMalformed float64
	// RateDrop closes the connection without a response.
	RateDrop float64
	// RateEmpty answers 200 with well-formed JSON and no answer: chat content null, or an
	// empty choices list for completions.
	RateEmpty float64
	// First, when positive, limits faults to the first First generation requests.
	First int64
}

// DefaultConfig returns the configuration the evalplan-sim command starts from.
func DefaultConfig() Config {
	return Config{
		Addr:     "127.0.0.1:0",
		Models:   []string{DefaultModel},
		Accuracy: DefaultAccuracy,
		Faults:   Faults{RetryAfter: 1},
	}
}

// Validate reports every invalid setting, joined.
func (c *Config) Validate() error {
	var errs []error
	checkRate := func(name string, v float64) {
		if v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("%s must be in [0,1], got %g", name, v))
		}
	}
	checkRate("accuracy", c.Accuracy)
	for m, a := range c.ModelAccuracy {
		checkRate("accuracy of "+m, a)
	}
	f := c.Faults
	checkRate("fault-429", f.Rate429)
	checkRate("fault-500", f.Rate500)
	checkRate("fault-hang", f.RateHang)
	checkRate("fault-malformed", f.RateMalformed)
	checkRate("fault-drop", f.RateDrop)
	checkRate("fault-empty", f.RateEmpty)
	if sum := f.Rate429 + f.Rate500 + f.RateHang + f.RateMalformed + f.RateDrop + f.RateEmpty; sum > 1+1e-9 {
		errs = append(errs, fmt.Errorf("fault rates sum to %g, more than 1", sum))
	}
	if c.KVCache < 0 {
		errs = append(errs, fmt.Errorf("kv-cache must not be negative, got %d", c.KVCache))
	}
	if c.Capacity < 0 {
		errs = append(errs, fmt.Errorf("capacity must not be negative, got %d", c.Capacity))
	}
	if c.Latency < 0 || c.Jitter < 0 {
		errs = append(errs, errors.New("latency and jitter must not be negative"))
	}
	if f.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("retry-after must not be negative, got %d", f.RetryAfter))
	}
	switch c.Flavor {
	case "", FlavorVLLM, FlavorSGLang, FlavorNIM:
	default:
		errs = append(errs, fmt.Errorf("flavor must be %s, %s or %s, got %q", FlavorVLLM, FlavorSGLang, FlavorNIM, c.Flavor))
	}
	for _, m := range c.Models {
		if m == "" {
			errs = append(errs, errors.New("model ids must not be empty"))
		}
	}
	return errors.Join(errs...)
}

// RegisterFlags defines one flag per setting on fs, writing into c; c's current values are
// the defaults shown.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address` (port 0 picks a free port)")
	fs.StringVar(&c.URLFile, "url-file", c.URLFile, "write the base URL http://HOST:PORT/v1 to `FILE` once listening")
	fs.Func("models", "comma-separated model `ids` (default \""+strings.Join(c.Models, ",")+"\")", func(v string) error {
		c.Models = nil
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				c.Models = append(c.Models, m)
			}
		}
		if len(c.Models) == 0 {
			return errors.New("no model ids given")
		}
		return nil
	})
	fs.DurationVar(&c.Latency, "latency", c.Latency, "delay per generation request")
	fs.DurationVar(&c.Jitter, "jitter", c.Jitter, "extra random delay per request, uniform in [0, jitter)")
	fs.IntVar(&c.Capacity, "capacity", c.Capacity, "concurrent generation slots; excess requests queue (0 = unlimited)")
	fs.IntVar(&c.KVCache, "kv-cache", c.KVCache, "KV cache size in `sequences`: past it requests are preempted and slow down quadratically; serves vLLM's metric names (0 = off)")
	fs.StringVar(&c.Flavor, "flavor", c.Flavor, "imitate `server` vllm, sglang or nim: its health routes, metrics path and metric names")
	fs.Func("accuracy", fmt.Sprintf("fraction answered correctly: `P` for all models, or MODEL=P for one (repeatable; default %g)", c.Accuracy), c.setAccuracy)
	fs.Func("dataset", "recognise the questions of `FILE` (GSM8K/MATH-500/ARC JSONL, MMLU CSV; repeatable)", func(v string) error {
		c.Datasets = append(c.Datasets, v)
		return nil
	})
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed for correctness, wording, jitter and faults")
	fs.IntVar(&c.MaxModelLen, "max-model-len", c.MaxModelLen, "context length reported by /v1/models and enforced (0 = none)")
	fs.StringVar(&c.APIKey, "api-key", c.APIKey, "require Authorization: Bearer `KEY` on /v1 routes")
	fs.Float64Var(&c.Faults.Rate429, "fault-429", c.Faults.Rate429, "fraction of requests answered 429")
	fs.IntVar(&c.Faults.RetryAfter, "retry-after", c.Faults.RetryAfter, "Retry-After `seconds` sent with 429")
	fs.Float64Var(&c.Faults.Rate500, "fault-500", c.Faults.Rate500, "fraction of requests answered 500")
	fs.Float64Var(&c.Faults.RateHang, "fault-hang", c.Faults.RateHang, "fraction of requests never answered")
	fs.Float64Var(&c.Faults.RateMalformed, "fault-malformed", c.Faults.RateMalformed, "fraction of requests answered 200 with broken JSON")
	fs.Float64Var(&c.Faults.RateDrop, "fault-drop", c.Faults.RateDrop, "fraction of requests whose connection is closed without a response")
	fs.Float64Var(&c.Faults.RateEmpty, "fault-empty", c.Faults.RateEmpty, "fraction of requests answered 200 with no answer (content null, or no choices)")
	fs.Int64Var(&c.Faults.First, "fault-first", c.Faults.First, "only the first `N` generation requests may fault (0 = all)")
}

// setAccuracy parses "P" or "MODEL=P".
func (c *Config) setAccuracy(v string) error {
	model, p, found := strings.Cut(v, "=")
	if !found {
		p, model = model, ""
	}
	a, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if err != nil {
		return fmt.Errorf("parse accuracy %q: %w", v, err)
	}
	if a < 0 || a > 1 {
		return fmt.Errorf("accuracy %q: must be in [0,1]", v)
	}
	if model == "" {
		c.Accuracy = a
		return nil
	}
	if c.ModelAccuracy == nil {
		c.ModelAccuracy = map[string]float64{}
	}
	c.ModelAccuracy[strings.TrimSpace(model)] = a
	return nil
}

// NIMEnv reads what a NIM container is configured with, for FlavorNIM: NIM_SERVER_PORT
// (the port on 127.0.0.1) unless -addr was given, and NIM_SERVED_MODEL_NAME unless -models
// was. fs is the flag set cfg's flags were parsed with.
func NIMEnv(cfg *Config, fs *flag.FlagSet, getenv func(string) string) {
	if cfg.Flavor != FlavorNIM {
		return
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if p := getenv("NIM_SERVER_PORT"); p != "" && !set["addr"] {
		cfg.Addr = "127.0.0.1:" + p
	}
	if m := getenv("NIM_SERVED_MODEL_NAME"); m != "" && !set["models"] {
		cfg.Models = []string{m}
	}
}
