package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

const chatBody = `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Paris"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`

// received is what a test server saw of one request.
type received struct {
	Method string
	Path   string
	Auth   string
	Header map[string]string
	Body   map[string]any
}

// recorder is a test server that records requests and answers with fixed responses.
type recorder struct {
	mu       sync.Mutex
	got      []received
	headers  []string // request headers to record
	ctype    string
	response string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	got := received{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &got.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	for _, h := range rec.headers {
		if got.Header == nil {
			got.Header = map[string]string{}
		}
		got.Header[h] = r.Header.Get(h)
	}
	rec.mu.Lock()
	rec.got = append(rec.got, got)
	rec.mu.Unlock()
	ctype := rec.ctype
	if ctype == "" {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	io.WriteString(w, rec.response)
}

func TestClientDoRequestBody(t *testing.T) {
	tests := []struct {
		name   string
		opts   ClientOptions
		req    Request
		want   received
		resp   string
		ctype  string
		header []string
	}{
		{
			name: "chat with every parameter",
			opts: ClientOptions{APIKey: "sk-secret", Headers: map[string]string{"X-Org": "team"}},
			req: Request{
				Kind: KindChat, Model: "m",
				Messages:    []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "capital of France?"}},
				Temperature: ptr(0.0), TopP: ptr(0.9), MaxTokens: 16, Seed: ptr(7), Stop: []string{"\n"},
			},
			header: []string{"X-Org", "Content-Type"},
			want: received{
				Method: "POST", Path: "/v1/chat/completions", Auth: "Bearer sk-secret",
				Header: map[string]string{"X-Org": "team", "Content-Type": "application/json"},
				Body: map[string]any{
					"model": "m",
					"messages": []any{
						map[string]any{"role": "system", "content": "be brief"},
						map[string]any{"role": "user", "content": "capital of France?"},
					},
					"temperature": 0.0, "top_p": 0.9, "max_tokens": 16.0, "seed": 7.0,
					"stop": []any{"\n"},
				},
			},
			resp: chatBody,
		},
		{
			name: "chat minimal omits unset fields and auth",
			req:  Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}},
			want: received{
				Method: "POST", Path: "/v1/chat/completions",
				Body: map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}},
			},
			resp: chatBody,
		},
		{
			name: "completions",
			req:  Request{Kind: KindCompletions, Model: "base", Prompt: "2+2=", MaxTokens: 4, Seed: ptr(0)},
			want: received{
				Method: "POST", Path: "/v1/completions",
				Body: map[string]any{"model": "base", "prompt": "2+2=", "max_tokens": 4.0, "seed": 0.0},
			},
			resp: `{"choices":[{"text":"4","finish_reason":"length"}]}`,
		},
		{
			name: "header overrides authorization",
			opts: ClientOptions{APIKey: "sk-secret", Headers: map[string]string{"Authorization": "Basic abc"}},
			req:  Request{Kind: KindCompletions, Model: "base", Prompt: ""},
			want: received{
				Method: "POST", Path: "/v1/completions", Auth: "Basic abc",
				Body: map[string]any{"model": "base", "prompt": ""},
			},
			resp: `{"choices":[{"text":"4","finish_reason":"length"}]}`,
		},
		{
			name: "stream asks for usage",
			opts: ClientOptions{Stream: true},
			req:  Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}},
			want: received{
				Method: "POST", Path: "/v1/chat/completions",
				Body: map[string]any{
					"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}},
					"stream": true, "stream_options": map[string]any{"include_usage": true},
				},
			},
			ctype: "text/event-stream",
			resp:  "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{response: tt.resp, ctype: tt.ctype, headers: tt.header}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			opts := tt.opts
			opts.BaseURL = srv.URL + "/v1/"
			if _, err := NewClient(opts).Do(context.Background(), &tt.req); err != nil {
				t.Fatalf("Do: %v", err)
			}
			if diff := cmp.Diff([]received{tt.want}, rec.got); diff != "" {
				t.Errorf("server received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientDoResponse(t *testing.T) {
	sse := func(events ...string) string {
		var b strings.Builder
		for _, e := range events {
			b.WriteString("data: " + e + "\n\n")
		}
		return b.String()
	}
	tests := []struct {
		name      string
		kind      string
		ctype     string
		body      string
		want      *Response
		malformed bool
		eof       bool
		// noAnswer is the reason a 200 carries nothing to score, quoted in the error.
		noAnswer string
	}{
		{
			name: "chat", body: chatBody,
			want: &Response{Text: "Paris", FinishReason: "stop", Usage: Usage{5, 1, 6}, Attempts: 1},
		},
		{
			name: "chat empty content is an answer", body: `{"choices":[{"message":{"content":""},"finish_reason":"stop"}]}`,
			want: &Response{FinishReason: "stop", Attempts: 1},
		},
		{
			name: "chat null content", body: `{"choices":[{"message":{"content":null},"finish_reason":"length"}]}`,
			noAnswer: `no content (finish_reason "length")`,
		},
		{
			name: "chat content absent", body: `{"choices":[{"message":{"role":"assistant"},"finish_reason":"stop"}]}`,
			noAnswer: `no content (finish_reason "stop")`,
		},
		{name: "chat no message", body: `{"choices":[{"index":0,"finish_reason":"stop"}]}`, noAnswer: "no content"},
		{
			name: "chat refusal only", body: `{"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}`,
			noAnswer: `refused: "I can't help with that."`,
		},
		{name: "chat empty choices", body: `{"choices":[],"usage":{"prompt_tokens":3}}`, noAnswer: "empty choices list"},
		{name: "completions empty choices", kind: KindCompletions, body: `{"choices":[]}`, noAnswer: "empty choices list"},
		{
			name: "completions text missing", kind: KindCompletions, body: `{"choices":[{"index":0,"finish_reason":"stop"}]}`,
			noAnswer: "no content",
		},
		{
			name: "stream of refusal deltas", ctype: "text/event-stream",
			body: sse(`{"choices":[{"delta":{"role":"assistant","refusal":"No."},"finish_reason":null}]}`,
				`{"choices":[{"delta":{},"finish_reason":"stop"}]}`, `[DONE]`),
			noAnswer: `refused: "No."`,
		},
		{
			name: "stream without content", ctype: "text/event-stream",
			body:     sse(`{"choices":[{"delta":{"role":"assistant"},"finish_reason":"stop"}]}`, `[DONE]`),
			noAnswer: "no content",
		},
		{
			name: "stream of empty content is an answer", ctype: "text/event-stream",
			body: sse(`{"choices":[{"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}`, `[DONE]`),
			want: &Response{FinishReason: "stop", Attempts: 1},
		},
		{
			name: "completions", kind: KindCompletions,
			body: `{"choices":[{"text":" 4","finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
			want: &Response{Text: " 4", FinishReason: "stop", Usage: Usage{3, 1, 4}, Attempts: 1},
		},
		{
			name: "chat stream with usage", ctype: "text/event-stream; charset=utf-8",
			body: ": keep-alive\n\n" + sse(
				`{"choices":[{"delta":{"role":"assistant"},"finish_reason":null}]}`,
				`{"choices":[{"delta":{"content":"Par"},"finish_reason":null}]}`,
				`{"choices":[{"delta":{"content":"is"},"finish_reason":"stop"}]}`,
				`{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`,
				`[DONE]`),
			want: &Response{Text: "Paris", FinishReason: "stop", Usage: Usage{5, 2, 7}, Attempts: 1},
		},
		{
			name: "completions stream, CRLF and no space", kind: KindCompletions, ctype: "text/event-stream",
			body: "data:{\"choices\":[{\"text\":\"4\",\"finish_reason\":null}]}\r\n\r\n" +
				"data:{\"choices\":[{\"text\":\"2\",\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\r\n\r\n" +
				"data:[DONE]\r\n\r\n",
			want: &Response{Text: "42", FinishReason: "length", Usage: Usage{1, 2, 3}, Attempts: 1},
		},
		{
			name: "stream requested, JSON returned", ctype: "application/json; charset=utf-8", body: chatBody,
			want: &Response{Text: "Paris", FinishReason: "stop", Usage: Usage{5, 1, 6}, Attempts: 1},
		},
		{
			name: "stream ends after finish without DONE", ctype: "text/event-stream",
			body: sse(`{"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}`),
			want: &Response{Text: "ok", FinishReason: "stop", Attempts: 1},
		},
		{
			name: "stream cut", ctype: "text/event-stream",
			body: sse(`{"choices":[{"delta":{"content":"o"},"finish_reason":null}]}`),
			eof:  true,
		},
		{name: "stream without choices", ctype: "text/event-stream", body: sse(`[DONE]`), malformed: true},
		{name: "stream bad chunk", ctype: "text/event-stream", body: sse(`{"choices":[`), malformed: true},
		{
			name: "stream error event", ctype: "text/event-stream",
			body: sse(`{"error":{"message":"engine died"}}`), malformed: true,
		},
		{name: "not JSON", body: `<html>proxy error</html>`, malformed: true},
		{name: "choices missing", body: `{"id":"x"}`, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&recorder{response: tt.body, ctype: tt.ctype})
			defer srv.Close()
			c := NewClient(ClientOptions{BaseURL: srv.URL + "/v1", Stream: tt.ctype != ""})
			kind := tt.kind
			if kind == "" {
				kind = KindChat
			}
			got, err := c.Do(context.Background(), &Request{Kind: kind, Model: "m", Prompt: "p"})
			if tt.noAnswer != "" {
				if !errors.Is(err, ErrNoAnswer) || !errors.Is(err, ErrMalformed) || !Retryable(err) ||
					!strings.Contains(err.Error(), tt.noAnswer) {
					t.Fatalf("Do = %v, %v; want a retryable ErrNoAnswer saying %q", got, err, tt.noAnswer)
				}
				return
			}
			if tt.malformed || tt.eof {
				if !errors.Is(err, ErrMalformed) && tt.malformed {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) && tt.eof {
					t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
				}
				if !Retryable(err) {
					t.Errorf("Retryable(%v) = false", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

// errorClass summarises an error for comparison.
type errorClass struct {
	Status    *StatusError
	Retryable bool
	Malformed bool
	Timeout   bool
	Canceled  bool
}

func classify(err error) errorClass {
	c := errorClass{
		Retryable: Retryable(err),
		Malformed: errors.Is(err, ErrMalformed),
		Timeout:   errors.Is(err, ErrTimeout),
		Canceled:  errors.Is(err, context.Canceled),
	}
	c.Status, _ = errors.AsType[*StatusError](err)
	return c
}

func TestClientDoErrors(t *testing.T) {
	const key = "sk-very-secret"
	const hdr = "header-secret"
	block := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/429/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/500/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "echo "+key+" "+hdr+" "+strings.Repeat("x", 1000))
	})
	mux.HandleFunc("/400/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"bad"}`, http.StatusBadRequest)
	})
	mux.HandleFunc("/401/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "", http.StatusUnauthorized)
	})
	mux.HandleFunc("/drop/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	mux.HandleFunc("/hang/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server watches the connection
		select {
		case <-r.Context().Done():
		case <-block:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(block) // before srv.Close
	closed := httptest.NewServer(mux)
	closed.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		base    string
		ctx     context.Context
		timeout time.Duration
		want    errorClass
	}{
		{
			name: "429 with Retry-After", base: srv.URL + "/429/v1",
			want: errorClass{Status: &StatusError{Code: 429, RetryAfter: 3 * time.Second, Body: "slow down\n"}, Retryable: true},
		},
		{
			name: "500 truncated and scrubbed", base: srv.URL + "/500/v1",
			want: errorClass{Status: &StatusError{Code: 500, Body: "echo [redacted] [redacted] " + strings.Repeat("x", 512-len("echo [redacted] [redacted] "))}, Retryable: true},
		},
		{
			name: "400", base: srv.URL + "/400/v1",
			want: errorClass{Status: &StatusError{Code: 400, Body: "{\"error\":\"bad\"}\n"}},
		},
		{name: "401", base: srv.URL + "/401/v1", want: errorClass{Status: &StatusError{Code: 401, Body: "\n"}}},
		{name: "dropped connection", base: srv.URL + "/drop/v1", want: errorClass{Retryable: true}},
		{name: "connection refused", base: closed.URL + "/v1", want: errorClass{Retryable: true}},
		{name: "timeout", base: srv.URL + "/hang/v1", timeout: 20 * time.Millisecond, want: errorClass{Retryable: true, Timeout: true}},
		{name: "caller cancel", base: srv.URL + "/hang/v1", ctx: canceled, want: errorClass{Canceled: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			c := NewClient(ClientOptions{BaseURL: tt.base, APIKey: key, Headers: map[string]string{"X-Token": hdr}, Timeout: tt.timeout})
			_, err := c.Do(ctx, &Request{Kind: KindChat, Model: "m"})
			if err == nil {
				t.Fatal("Do succeeded, want error")
			}
			if diff := cmp.Diff(tt.want, classify(err)); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", err, diff)
			}
			if msg := err.Error(); strings.Contains(msg, key) || strings.Contains(msg, hdr) {
				t.Errorf("error leaks a secret: %s", msg)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestModels(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      []Model
		malformed bool
	}{
		{
			name: "vllm",
			body: `{"object":"list","data":[{"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","max_model_len":8192}]}`,
			want: []Model{{ID: "meta-llama/Llama-3.1-8B-Instruct", MaxModelLen: 8192}},
		},
		{name: "no length", body: `{"data":[{"id":"a"},{"id":"b"}]}`, want: []Model{{ID: "a"}, {ID: "b"}}},
		{name: "empty", body: `{"data":[]}`, want: []Model{}},
		{name: "no data", body: `{"models":[]}`, malformed: true},
		{name: "html", body: `<html></html>`, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{response: tt.body}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			got, err := NewClient(ClientOptions{BaseURL: srv.URL + "/v1", APIKey: "k"}).Models(context.Background())
			if tt.malformed {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("models (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]received{{Method: "GET", Path: "/v1/models", Auth: "Bearer k"}}, rec.got); diff != "" {
				t.Errorf("server received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodyKey(t *testing.T) {
	chat := &Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}, Temperature: ptr(0.0)}
	tests := []struct {
		name string
		req  *Request
		want string
	}{
		{"chat", chat, `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}`},
		{"default kind is chat", &Request{Model: "m"}, `{"model":"m"}`},
		{"completions", &Request{Kind: KindCompletions, Model: "m", Prompt: "hi", Stop: []string{"x"}}, `{"model":"m","prompt":"hi","stop":["x"]}`},
	}
	for _, tt := range tests {
		got, err := BodyKey(tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("%s: BodyKey (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, err := BodyKey(&Request{Kind: "embeddings"}); err == nil {
		t.Error("BodyKey accepted an unknown kind")
	}
}

func BenchmarkClientDo(b *testing.B) {
	body := []byte(chatBody)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	const par = 16
	c := NewClient(ClientOptions{BaseURL: srv.URL + "/v1", APIKey: "k", MaxConns: par * 4})
	defer c.CloseIdleConnections()
	req := &Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "What is the capital of France?"}}, MaxTokens: 8}
	b.SetParallelism(par)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Do(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// TestResponseTooLarge answers with replies larger than the client reads: each is a
// non-retryable ErrTooLarge, and reading a 60 MB reply does not allocate gigabytes.
func TestResponseTooLarge(t *testing.T) {
	chunk := func(text string) string {
		b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]any{"content": text}}}})
		return "data: " + string(b) + "\n\n"
	}
	big := strings.Repeat("x", 60<<20)
	completion := []byte(`{"choices":[{"message":{"content":"` + big + `"}}]}`)
	tests := []struct {
		name   string
		path   string // /chat/completions or /models
		ctype  string
		length bool // send Content-Length
		body   []byte
		want   string
	}{
		{"60 MB completion", "/chat/completions", "application/json", true, completion,
			"response too large: body over 32 MiB"},
		{"60 MB completion without Content-Length", "/chat/completions", "application/json", false, completion,
			"response too large: body over 32 MiB"},
		{"one 2 MB event line", "/chat/completions", "text/event-stream", false, []byte(chunk(big[:2<<20])),
			"response too large: event stream line over 1 MiB"},
		{"a stream of 40 MB text", "/chat/completions", "text/event-stream", false,
			[]byte(strings.Repeat(chunk(big[:512<<10]), 80) + "data: [DONE]\n\n"),
			"response too large: streamed text over 32 MiB"},
		{"5 MB /models", "/models", "application/json", false, []byte(`{"data":[{"id":"` + big[:5<<20] + `"}]}`),
			"response too large: body over 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				if tt.length {
					w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)))
				}
				// Written in pieces, so that without Content-Length the reply is chunked.
				for b := tt.body; len(b) > 0; {
					n := min(len(b), 1<<20)
					if _, err := w.Write(b[:n]); err != nil {
						return
					}
					b = b[n:]
				}
			}))
			defer srv.Close()
			c := NewClient(ClientOptions{BaseURL: srv.URL + "/v1"})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var err error
			if tt.path == "/models" {
				_, err = c.Models(context.Background())
			} else {
				_, err = c.Do(context.Background(), chat("hi"))
			}
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want ErrTooLarge with %q", err, tt.want)
			}
			if Retryable(err) {
				t.Errorf("Retryable(%v) = true, want false", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("reading the reply allocated %d MiB, want at most 256", alloc>>20)
			}
		})
	}
}
