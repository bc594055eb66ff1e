package openai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name, text string
		want       ServerMetrics
		ok         bool
	}{
		{"vllm", `# HELP vllm:num_requests_running Number of requests running.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3
vllm:num_requests_running{engine="1",model_name="m"} 4
vllm:num_requests_waiting{model_name="m"} 2 1700000000000
vllm:kv_cache_usage_perc{model_name="m"} 0.5
vllm:num_preemptions_total{model_name="m"} 7
vllm:other 9
`, ServerMetrics{Running: 7, Waiting: 2, KVUsage: 0.5, Preemptions: 7}, true},
		{"older vllm", "vllm:gpu_cache_usage_perc 0.25\nvllm:num_requests_running 1\n",
			ServerMetrics{Running: 1, Waiting: -1, KVUsage: 0.25, Preemptions: -1}, true},
		{"sglang", "sglang:num_running_reqs{model_name=\"m\"} 5\nsglang:num_queue_reqs{model_name=\"m\"} 0\nsglang:token_usage{model_name=\"m\"} 0.75\n",
			ServerMetrics{Running: 5, Waiting: 0, KVUsage: 0.75, Preemptions: -1}, true},
		{"none", "go_goroutines 12\n", ServerMetrics{Running: -1, Waiting: -1, KVUsage: -1, Preemptions: -1}, false},
	}
	for _, tt := range tests {
		got, ok := ParseMetrics(strings.NewReader(tt.text))
		if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.ok {
			t.Errorf("%s: ok %v (-want +got):\n%s", tt.name, ok, diff)
		}
	}
}

func TestMetricsURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:8000/v1":       "http://h:8000/metrics",
		"http://h:8000/v1/":      "http://h:8000/metrics",
		"https://h/proxy/v1?x=1": "https://h/proxy/metrics",
		"http://h:8000":          "http://h:8000/metrics",
	} {
		if got := MetricsURL(in); got != want {
			t.Errorf("MetricsURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLimiterObserve replays metric reports against a discovering limiter.
func TestLimiterObserve(t *testing.T) {
	type step struct {
		m        ServerMetrics
		inFlight int // slots held when the report arrives
		limit    int
	}
	unknown := ServerMetrics{Running: -1, Waiting: -1, KVUsage: -1, Preemptions: -1}
	tests := []struct {
		name  string
		steps []step
	}{
		{"idle server: the ceiling doubles, the limit stays", []step{
			{m: ServerMetrics{Running: 0, Waiting: 0, KVUsage: 0, Preemptions: 0}, limit: 16},
		}},
		{"KV cache use sizes the limit at once, less other clients", []step{
			{m: ServerMetrics{Running: 16, Waiting: 0, KVUsage: 0.16, Preemptions: 0}, inFlight: 16, limit: 98},
			{m: ServerMetrics{Running: 98, Waiting: 0, KVUsage: 0.98, Preemptions: 0}, inFlight: 88, limit: 88},
		}},
		{"waiting holds", []step{
			{m: ServerMetrics{Running: 16, Waiting: 0, KVUsage: 0.16, Preemptions: 0}, inFlight: 16, limit: 98},
			{m: ServerMetrics{Running: 20, Waiting: 3, KVUsage: 0.1, Preemptions: 0}, limit: 98},
		}},
		{"preemption backs off by Decrease", []step{
			{m: ServerMetrics{Running: 16, Waiting: 0, KVUsage: 0.16, Preemptions: 4}, inFlight: 16, limit: 98},
			{m: ServerMetrics{Running: 98, Waiting: 0, KVUsage: 1, Preemptions: 9}, limit: 68},
			{m: ServerMetrics{Running: 68, Waiting: 0, KVUsage: 1, Preemptions: 9}, inFlight: 68, limit: 66},
		}},
		{"no metric known: the limit stays", []step{{m: unknown, limit: 16}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(LimitOptions{Initial: 16, Max: 1024, Discover: true})
			for i, s := range tt.steps {
				l.mu.Lock()
				l.inFlight = s.inFlight
				l.mu.Unlock()
				l.Observe(s.m)
				if got := l.Limit(); got != s.limit {
					t.Fatalf("step %d: limit %d, want %d", i, got, s.limit)
				}
			}
			l.mu.Lock()
			l.inFlight = 0
			l.mu.Unlock()
		})
	}
	// A limiter with a configured parallelism ignores metrics.
	l := NewLimiter(LimitOptions{Initial: 8, Max: 8})
	l.Observe(ServerMetrics{Running: 100, KVUsage: 1, Preemptions: 50})
	if l.Limit() != 8 {
		t.Errorf("fixed limiter moved to %d", l.Limit())
	}
}

// TestLimitedCeiling: in slow start a success grows the limit only up to the ceiling the
// metrics set.
func TestLimitedCeiling(t *testing.T) {
	l := NewLimiter(LimitOptions{Initial: 16, Max: 1024, Discover: true})
	l.Observe(ServerMetrics{Running: 0, Waiting: 0, KVUsage: 0, Preemptions: 0})
	for range 40 {
		if err := l.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		l.ReleaseTimed(OutcomeSuccess, 100*time.Millisecond)
	}
	if got := l.Limit(); got != 32 {
		t.Errorf("limit %d, want the ceiling 32", got)
	}
}

// TestLimitersWatch: the watch reads the server's metrics into the limiter, and stops
// when the last watcher leaves; a server without metrics is given up on.
func TestLimitersWatch(t *testing.T) {
	var reads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reads.Add(1)
		fmt.Fprintf(w, "vllm:num_requests_running 10\nvllm:num_requests_waiting 0\nvllm:kv_cache_usage_perc 0.2\n")
	}))
	defer srv.Close()
	r := &Limiters{WatchInterval: 10 * time.Millisecond}
	l := r.For("a", 0)
	unwatch := r.Watch("a", MetricsURL(srv.URL+"/v1"))
	unwatch2 := r.Watch("a", MetricsURL(srv.URL+"/v1"))
	deadline := time.Now().Add(5 * time.Second)
	for !l.Stats().Metrics && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// 10 running fill a fifth of the cache: 49 sequences at 98%, less the 10 of others.
	if s := l.Stats(); !s.Metrics || s.Limit != 39 || s.MaxRunning != 10 {
		t.Errorf("after a report: %+v", s)
	}
	unwatch()
	unwatch()
	unwatch2()
	time.Sleep(30 * time.Millisecond)
	n := reads.Load()
	time.Sleep(50 * time.Millisecond)
	if got := reads.Load(); got != n {
		t.Errorf("reads went on after the last unwatch: %d, then %d", n, got)
	}

	var misses atomic.Int64
	none := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		misses.Add(1)
		http.NotFound(w, r)
	}))
	defer none.Close()
	r.For("b", 0)
	defer r.Watch("b", none.URL+"/metrics")()
	time.Sleep(150 * time.Millisecond)
	if got := misses.Load(); got != watchGiveUp {
		t.Errorf("a server without metrics was read %d times, want %d", got, watchGiveUp)
	}
}
