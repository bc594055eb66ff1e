package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInterceptedRequestAndReply(t *testing.T) {
	var body map[string]any
	var tenant string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		tenant = r.Header.Get("X-Tenant")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":"<think>a b c</think>\n42"},"finish_reason":"stop"}]}`)
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{BaseURL: srv.URL + "/v1", Headers: map[string]string{"X-Tenant": "t1"}})
	d := &Intercepted{Next: c, SystemPrompt: "Be brief.", RemoveReasoning: true, Edits: &BodyEdits{
		Add: map[string]any{"top_k": 1}, Remove: []string{"seed"}, Rename: map[string]string{"max_tokens": "max_completion_tokens"},
	}}
	seed := 7
	req := &Request{Kind: KindChat, Model: "m", MaxTokens: 16, Seed: &seed, Messages: []Message{{Role: "system", Content: "Task."}, {Role: "user", Content: "Q"}}}
	res, err := d.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "42" || res.ReasoningWords != 3 {
		t.Errorf("reply %q with %d reasoning words, want \"42\" and 3", res.Text, res.ReasoningWords)
	}
	want := map[string]any{
		"model": "m", "max_completion_tokens": 16.0, "top_k": 1.0,
		"messages": []any{map[string]any{"role": "system", "content": "Be brief.\nTask."}, map[string]any{"role": "user", "content": "Q"}},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	if tenant != "t1" {
		t.Errorf("X-Tenant = %q", tenant)
	}
	if len(req.Messages) != 2 || req.Messages[0].Content != "Task." || req.Edits != nil {
		t.Errorf("the caller's request was modified: %+v", req)
	}
}

func TestBodyKeyHoldsEdits(t *testing.T) {
	req := &Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "Q"}}}
	plain, err := BodyKey(req)
	if err != nil {
		t.Fatal(err)
	}
	edited := *req
	edited.Edits = &BodyEdits{Add: map[string]any{"top_k": 1}}
	k, err := BodyKey(&edited)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(plain, k) {
		t.Error("body edits do not change the cache key")
	}
	edited.Edits = &BodyEdits{}
	if k, _ := BodyKey(&edited); !bytes.Equal(plain, k) {
		t.Error("empty edits change the cache key")
	}
}

func TestStripReasoning(t *testing.T) {
	tests := []struct {
		in, want string
		words    int
	}{
		{"42", "42", 0},
		{"<think>x y</think>\n\n42\n", "42", 2},
		{"<think>unfinished", "<think>unfinished", 0},
		{"a</think>b</think>c", "c", 1},
	}
	for _, tt := range tests {
		got, n := StripReasoning(tt.in)
		if got != tt.want || n != tt.words {
			t.Errorf("StripReasoning(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.words)
		}
	}
}
