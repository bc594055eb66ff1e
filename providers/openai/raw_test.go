package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

func TestRawBodyKey(t *testing.T) {
	key := func(kind, body string) string {
		t.Helper()
		k, err := BodyKey(&Request{Kind: kind, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		return string(k)
	}
	a := key(KindCompletions, `{"model":"m","prompt":"x","logprobs":1,"temperature":0.0}`)
	b := key(KindCompletions, `{"stream":true,"stream_options":{"include_usage":true},"temperature":0.0,"logprobs":1,"prompt":"x","model":"m"}`)
	if a != b {
		t.Errorf("key order and stream fields change the key:\n%s\n%s", a, b)
	}
	if c := key(KindChat, `{"model":"m","prompt":"x","logprobs":1,"temperature":0.0}`); c == a {
		t.Error("the path is not part of the key")
	}
	if d := key(KindCompletions, `{"model":"m","prompt":"x","logprobs":2,"temperature":0.0}`); d == a {
		t.Error("logprobs is not part of the key")
	}
	want := `raw /completions {"logprobs":1,"model":"m","prompt":"x","temperature":0.0}`
	if a != want {
		t.Errorf("key = %s, want %s", a, want)
	}
	if _, err := BodyKey(&Request{Body: []byte(`[1]`)}); err == nil {
		t.Error("a body that is not an object has a key")
	}
}

func TestRawRequestForwardedAndCached(t *testing.T) {
	var got []map[string]any
	reply := `{"choices":[{"text":" 4","logprobs":{"tokens":[" 4"]},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/completions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		got = append(got, m)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}))
	defer ts.Close()
	cache := openTestCache(t, filepath.Join(t.TempDir(), "c.bbolt"), CacheOptions{})
	d := Stack(NewClient(ClientOptions{BaseURL: ts.URL + "/v1", APIKey: "k"}), StackOptions{Cache: cache, Namespace: []byte("ns")})
	req := &Request{Kind: KindCompletions, Body: []byte(`{"model":"m","prompt":"2+2=","logprobs":1,"echo":true,"n":1,"stream":true}`)}
	for i := range 2 {
		resp, err := d.Do(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Text != " 4" || resp.Usage.TotalTokens != 4 || resp.Cached != (i == 1) {
			t.Errorf("attempt %d: response %+v", i, resp)
		}
		var a, b any
		_ = json.Unmarshal([]byte(reply), &a)
		if err := json.Unmarshal(resp.Body, &b); err != nil || !jsonEqual(a, b) {
			t.Errorf("attempt %d: body %s, want %s", i, resp.Body, reply)
		}
	}
	if len(got) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(got))
	}
	if got[0]["logprobs"] != 1.0 || got[0]["echo"] != true || got[0]["stream"] != nil {
		t.Errorf("server got %v: want logprobs and echo kept, stream dropped", got[0])
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
