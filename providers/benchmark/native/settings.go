package native

import (
	"fmt"
	"math"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/openai"
)

// Defaults of the native runner's parameters.
const (
	DefaultParallelism    = 16
	DefaultRequestTimeout = 300 * time.Second
	DefaultMaxRetries     = 3
	DefaultMaxNewTokens   = 1024
)

// failFastErrors is how many requests must fail, with none answered, before a run stops
// sending (parallelism, when larger, is used instead).
const failFastErrors = 8

// settings are the effective parameters of one run, defaults applied.
type settings struct {
	limit       *float64
	sample      string
	seed        int
	parallelism int
	// discover is set when no parallelism is configured: the endpoint's limiter then
	// discovers the server's capacity, and the run has workers enough to follow it.
	discover       bool
	requestTimeout time.Duration
	maxRetries     int
	temperature    float64
	topP           *float64
	maxTokens      int
	requestSeed    *int
}

// newSettings validates p and applies the defaults.
func newSettings(p config.Params) (*settings, error) {
	s := &settings{
		limit:          p.LimitSamples,
		sample:         sampleRandom,
		parallelism:    DefaultParallelism,
		discover:       p.Parallelism == nil,
		requestTimeout: DefaultRequestTimeout,
		maxRetries:     DefaultMaxRetries,
		topP:           p.TopP,
		maxTokens:      DefaultMaxNewTokens,
		requestSeed:    p.Seed,
	}
	if l := p.LimitSamples; l != nil {
		fraction := *l > 0 && *l < 1
		whole := *l >= 1 && *l == math.Trunc(*l) && *l <= math.MaxInt32
		if !fraction && !whole {
			return nil, fmt.Errorf("limit_samples = %v: want an integer ≥ 1 or a fraction between 0 and 1", *l)
		}
	}
	if p.Sample != nil {
		if *p.Sample != sampleRandom && *p.Sample != sampleFirst {
			return nil, fmt.Errorf("sample = %q: want %q or %q", *p.Sample, sampleRandom, sampleFirst)
		}
		s.sample = *p.Sample
	}
	if p.Seed != nil {
		s.seed = *p.Seed
	}
	if p.Parallelism != nil {
		if *p.Parallelism < 1 {
			return nil, fmt.Errorf("parallelism = %d: want at least 1", *p.Parallelism)
		}
		s.parallelism = *p.Parallelism
	}
	if p.RequestTimeout != nil {
		if *p.RequestTimeout <= 0 {
			return nil, fmt.Errorf("request_timeout = %v: want a number of seconds above 0", *p.RequestTimeout)
		}
		s.requestTimeout = time.Duration(*p.RequestTimeout * float64(time.Second))
	}
	if p.MaxRetries != nil {
		if *p.MaxRetries < 0 {
			return nil, fmt.Errorf("max_retries = %d: want 0 or more", *p.MaxRetries)
		}
		s.maxRetries = *p.MaxRetries
	}
	if p.Temperature != nil {
		s.temperature = *p.Temperature
	}
	if p.MaxNewTokens != nil {
		if *p.MaxNewTokens < 1 {
			return nil, fmt.Errorf("max_new_tokens = %d: want at least 1", *p.MaxNewTokens)
		}
		s.maxTokens = *p.MaxNewTokens
	}
	return s, nil
}

// workers is how many requests the run may have outstanding: the parallelism, or, when the
// limiter discovers the capacity, the limiter's ceiling.
func (s *settings) workers() int {
	if s.discover {
		return openai.DiscoverMax
	}
	return s.parallelism
}

// limiterParallelism is what the run asks of the endpoint's limiter (Limiters.For): its
// parallelism, or 0 to discover the capacity.
func (s *settings) limiterParallelism() int {
	if s.discover {
		return 0
	}
	return s.parallelism
}
