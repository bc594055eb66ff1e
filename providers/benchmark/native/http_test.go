package native

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
)

// TestDefaultDoer runs through the real HTTP client against a local server: the key is
// sent as a bearer token, answers are scored, and a refused key fails the run fast.
func TestDefaultDoer(t *testing.T) {
	rows := loadFixture(t, fixture)
	gold := map[string]string{}
	for _, r := range rows {
		gold[gsm8kPrompt+r.question] = r.gold
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer sekret-key" {
			http.Error(w, `{"error":{"message":"invalid api key"}}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			Messages []openai.Message `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) != 1 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"choices": []any{map[string]any{"message": map[string]any{"content": "#### " + gold[body.Messages[0].Content]}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 50, "completion_tokens": 4, "total_tokens": 54},
		})
	}))
	defer srv.Close()

	tests := []struct {
		name, key  string
		wantStatus state.Status
		wantErr    string
	}{
		{"answers", "sekret-key", state.StatusComplete, ""},
		{"refused key", "wrong", state.StatusFailed, "HTTP 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requests.Store(0)
			spec := newSpec(t.TempDir(), config.Params{LimitSamples: ptr(12.0), Parallelism: ptr(2), MaxRetries: ptr(1)})
			spec.Endpoint.URL = srv.URL + "/v1"
			spec.Endpoint.APIKey = tt.key
			out, err := (&Runner{}).Run(context.Background(), spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.wantStatus || !strings.Contains(out.Error, tt.wantErr) {
				t.Fatalf("outcome = %+v, want %s with %q", out, tt.wantStatus, tt.wantErr)
			}
			if tt.wantStatus == state.StatusComplete && (out.Result.N != 12 || out.Result.Score != 1) {
				t.Errorf("result = %+v, want 12 samples all right", out.Result)
			}
			if tt.wantStatus == state.StatusFailed && requests.Load() >= 12 {
				t.Errorf("%d requests sent for a refused key; want the run to stop early", requests.Load())
			}
			if strings.Contains(out.Error, tt.key) {
				t.Errorf("outcome error %q contains the key", out.Error)
			}
		})
	}
}
