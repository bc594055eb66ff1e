package sim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFlavors: each flavor answers its server's health and metrics routes, refuses the
// routes its server lacks, and names the KV-cache metrics as that server does.
func TestFlavors(t *testing.T) {
	tests := []struct {
		flavor  string
		ok      []string // answer 200
		missing []string // answer 404
		metrics string   // the route serving the exposition
		names   []string // KV-cache metric names in it
	}{
		{"", []string{"/health", "/v1/models"}, []string{"/v1/health/ready", "/get_model_info"}, "/metrics",
			[]string{"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:num_preemptions_total"}},
		{FlavorSGLang, []string{"/health", "/v1/models", "/get_model_info"}, []string{"/v1/health/ready"}, "/metrics",
			[]string{"sglang:num_running_reqs", "sglang:num_queue_reqs", "sglang:token_usage", "sglang:num_retracted_reqs"}},
		{FlavorNIM, []string{"/v1/health/ready", "/v1/health/live", "/v1/models"}, []string{"/health", "/metrics", "/get_model_info"}, "/v1/metrics",
			[]string{"num_requests_running", "num_requests_waiting", "gpu_cache_usage_perc"}},
	}
	for _, tt := range tests {
		t.Run("flavor="+tt.flavor, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Flavor, cfg.KVCache = tt.flavor, 4
			_, ts := start(t, cfg)
			codes := map[string]int{}
			want := map[string]int{}
			for _, p := range tt.ok {
				want[p] = 200
			}
			for _, p := range tt.missing {
				want[p] = 404
			}
			for p := range want {
				resp, _ := mustDo(t, ts.Client(), "GET", ts.URL+p, nil)
				codes[p] = resp.StatusCode
			}
			if diff := cmp.Diff(want, codes); diff != "" {
				t.Errorf("status codes (-want +got):\n%s", diff)
			}
			resp, body := mustDo(t, ts.Client(), "GET", ts.URL+tt.metrics, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", tt.metrics, resp.StatusCode)
			}
			var got []string
			for _, n := range tt.names {
				if strings.Contains(string(body), "\n"+n+"{") {
					got = append(got, n)
				}
			}
			if diff := cmp.Diff(tt.names, got); diff != "" {
				t.Errorf("metric names (-want +got):\n%s\n%s", diff, body)
			}
		})
	}
	if err := (&Config{Flavor: "tgi"}).Validate(); err == nil || !strings.Contains(err.Error(), "flavor must be") {
		t.Errorf("Validate of an unknown flavor: %v", err)
	}
}
