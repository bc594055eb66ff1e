package openai

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ServerMetrics is what a model server's Prometheus metrics say about its load. A field
// the server does not report is -1.
type ServerMetrics struct {
	// Running and Waiting are the requests being processed and those queued for a slot.
	Running, Waiting float64
	// KVUsage is the fraction of the KV cache in use, in [0, 1].
	KVUsage float64
	// Preemptions counts the sequences the server preempted since it started.
	Preemptions float64
}

// metricNames maps the metric names of vLLM (current and older), SGLang and NIM to the field
// of ServerMetrics they fill.
var metricNames = map[string]func(*ServerMetrics) *float64{
	"vllm:num_requests_running":    func(m *ServerMetrics) *float64 { return &m.Running },
	"vllm:num_requests_waiting":    func(m *ServerMetrics) *float64 { return &m.Waiting },
	"vllm:kv_cache_usage_perc":     func(m *ServerMetrics) *float64 { return &m.KVUsage },
	"vllm:gpu_cache_usage_perc":    func(m *ServerMetrics) *float64 { return &m.KVUsage },
	"vllm:num_preemptions_total":   func(m *ServerMetrics) *float64 { return &m.Preemptions },
	"vllm:num_preemptions":         func(m *ServerMetrics) *float64 { return &m.Preemptions },
	"sglang:num_running_reqs":      func(m *ServerMetrics) *float64 { return &m.Running },
	"sglang:num_queue_reqs":        func(m *ServerMetrics) *float64 { return &m.Waiting },
	"sglang:token_usage":           func(m *ServerMetrics) *float64 { return &m.KVUsage },
	"sglang:num_retracted_reqs":    func(m *ServerMetrics) *float64 { return &m.Preemptions },
	"sglang:num_preemptions_total": func(m *ServerMetrics) *float64 { return &m.Preemptions },
	// NVIDIA NIM for LLMs (at /v1/metrics, unprefixed).
	"num_requests_running": func(m *ServerMetrics) *float64 { return &m.Running },
	"num_requests_waiting": func(m *ServerMetrics) *float64 { return &m.Waiting },
	"gpu_cache_usage_perc": func(m *ServerMetrics) *float64 { return &m.KVUsage },
}

// ParseMetrics reads the Prometheus text exposition r and returns the load it reports,
// summing the series of a name over their labels (one per model or engine); ok is false
// when r holds none of the known names.
func ParseMetrics(r io.Reader) (m ServerMetrics, ok bool) {
	m = ServerMetrics{Running: -1, Waiting: -1, KVUsage: -1, Preemptions: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, found := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 && i < len(name) {
			name = line[:i]
			_, rest, found = strings.Cut(line[i:], "} ")
		}
		field, known := metricNames[name]
		if !found || !known {
			continue
		}
		value, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // drop a timestamp
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		p := field(&m)
		if *p < 0 {
			*p = 0
		}
		*p += v
		ok = true
	}
	return m, ok
}

// MetricsURL is where the server of the OpenAI base URL base (".../v1") serves /metrics:
// the same host, the path without its /v1.
func MetricsURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1") + "/metrics"
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// DefaultWatchInterval is how often Limiters.Watch reads an endpoint's metrics.
const DefaultWatchInterval = 250 * time.Millisecond

// watchGiveUp is how many answers without known metrics stop a watch: the endpoint
// serves none.
const watchGiveUp = 3

// watchQuick is how many reads, at a fifth of the interval, a watch may make while the
// server reports nothing running, at its start.
const watchQuick = 10

// watcher reads one endpoint's metrics into its limiter until stopped.
type watcher struct {
	users int
	stop  context.CancelFunc
}

// watch polls metricsURL every interval (at first, while nothing runs, up to watchQuick
// times at a fifth of it) and feeds l.Observe until ctx ends, or until the endpoint has
// answered watchGiveUp times without known metrics.
func watch(ctx context.Context, l *Limiter, metricsURL string, interval time.Duration) {
	c := &http.Client{Timeout: max(2*interval, time.Second)}
	t := time.NewTimer(0)
	defer t.Stop()
	misses, quick := 0, watchQuick
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, ok, err := readMetrics(ctx, c, metricsURL)
		next := interval
		switch {
		case ok:
			misses = 0
			l.Observe(m)
			if m.Running <= 0 && quick > 0 {
				// Nothing runs yet, so nothing is learnt: look again soon, to size the
				// limit within the run's first round trips rather than after a second.
				quick--
				next = interval / 5
			} else {
				quick = 0
			}
		case err == nil:
			if misses++; misses >= watchGiveUp {
				return
			}
		}
		t.Reset(next)
	}
}

// readMetrics fetches and parses one exposition; err is set only when the server could
// not be reached (which is no proof that it has no metrics).
func readMetrics(ctx context.Context, c *http.Client, metricsURL string) (ServerMetrics, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return ServerMetrics{}, false, nil
	}
	resp, err := c.Do(req)
	if err != nil {
		return ServerMetrics{}, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ServerMetrics{}, false, nil
	}
	m, ok := ParseMetrics(io.LimitReader(resp.Body, 8<<20))
	return m, ok, nil
}
