package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/providers/proxy"
)

const realKey = "real-key-0123456789"

// upstream starts the simulator with realKey, recording the Authorization headers it gets.
func upstream(t *testing.T, faults sim.Faults) (*sim.Server, string, *[]string) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Models = []string{"model-a"}
	cfg.APIKey = realKey
	cfg.Faults = faults
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		auths []string
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	return s, ts.URL + "/v1", &auths
}

// progress counts what a proxy reports.
type progress struct {
	plan.NopProgress
	mu                 sync.Mutex
	done, errs, tokens int64
	lines              []string
}

func (p *progress) Add(_ string, n, errs, tokens int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.errs += errs
	p.tokens += tokens
}

func (p *progress) Log(_, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, msg)
}

type fixture struct {
	sim      *sim.Server
	upstream string
	auths    *[]string
	srv      *proxy.Server
	journal  *bytes.Buffer
	progress *progress
}

func start(t *testing.T, faults sim.Faults, maxRetries int) *fixture {
	t.Helper()
	s, url, auths := upstream(t, faults)
	cache, err := openai.OpenCache(filepath.Join(t.TempDir(), "responses.bbolt"), openai.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	client := openai.NewClient(openai.ClientOptions{BaseURL: url, APIKey: realKey})
	doer := openai.Stack(client, openai.StackOptions{
		Cache: cache, Namespace: []byte(`{"endpoint":"sim"}`),
		Limiter:    (&openai.Limiters{}).For("sim", 4),
		MaxRetries: maxRetries, RetryBase: time.Millisecond, RetryMax: time.Millisecond,
	})
	f := &fixture{sim: s, upstream: strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/v1"), auths: auths, journal: &bytes.Buffer{}, progress: &progress{}}
	f.srv, err = proxy.Start(context.Background(), proxy.Options{
		Doer: doer, Model: "model-a", Journal: syncWriter{w: f.journal}, Progress: f.progress, Address: "run",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Close() })
	return f
}

type syncWriter struct{ w io.Writer }

func (s syncWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

func (f *fixture) post(t *testing.T, path, token, body string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

func (f *fixture) entries(t *testing.T) []proxy.Entry {
	t.Helper()
	f.srv.Close()
	var out []proxy.Entry
	sc := bufio.NewScanner(bytes.NewReader(f.journal.Bytes()))
	for sc.Scan() {
		var e proxy.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

const chatBody = `{"model":"model-a","messages":[{"role":"user","content":"What is 2+2?"}],"temperature":0,"max_tokens":16,"n":1,"stop":["\n\n"]}`

func TestProxyForwardsWithTheRealKeyAndCaches(t *testing.T) {
	f := start(t, sim.Faults{}, 2)
	if !strings.HasPrefix(f.srv.URL(), "http://127.0.0.1:") || !strings.HasSuffix(f.srv.URL(), "/v1") {
		t.Errorf("URL = %s", f.srv.URL())
	}
	code, first, _ := f.post(t, "/chat/completions", f.srv.Token(), chatBody)
	if code != http.StatusOK {
		t.Fatalf("first request: HTTP %d %s", code, first)
	}
	// Same request, other key order and a stream flag turned off: a cache hit.
	code, second, _ := f.post(t, "/chat/completions", f.srv.Token(), `{"stream":false,"max_tokens":16,"n":1,"stop":["\n\n"],"temperature":0,"messages":[{"role":"user","content":"What is 2+2?"}],"model":"model-a"}`)
	if code != http.StatusOK {
		t.Fatalf("second request: HTTP %d %s", code, second)
	}
	if n := f.sim.Count(sim.RouteChat); n != 1 {
		t.Errorf("simulator answered %d chat requests, want 1 (the second from the cache)", n)
	}
	var a, b map[string]any
	if json.Unmarshal(first, &a) != nil || json.Unmarshal(second, &b) != nil || a["choices"] == nil {
		t.Fatalf("replies are not completions: %s / %s", first, second)
	}
	if x, _ := json.Marshal(a); string(x) != string(must(json.Marshal(b))) {
		t.Errorf("cached reply differs:\n%s\n%s", first, second)
	}
	for _, h := range *f.auths {
		if h != "Bearer "+realKey {
			t.Errorf("simulator got Authorization %q, want the real key", h)
		}
	}
	if strings.Contains(string(first)+string(second), realKey) {
		t.Error("a reply to the harness holds the real key")
	}
	es := f.entries(t)
	if len(es) != 2 {
		t.Fatalf("journal has %d lines, want 2:\n%s", len(es), f.journal)
	}
	if es[0].Seq != 1 || es[0].Path != "/v1/chat/completions" || es[0].Reply == "" || es[0].Cached || es[0].Status != 200 || es[0].Usage.TotalTokens == 0 || es[0].Attempts != 1 {
		t.Errorf("first journal line: %+v", es[0])
	}
	if !es[1].Cached || es[1].Reply != es[0].Reply || es[1].Attempts != 0 {
		t.Errorf("second journal line: %+v", es[1])
	}
	if !strings.Contains(string(es[0].Request), "What is 2+2?") {
		t.Errorf("journal request = %s, want the prompt", es[0].Request)
	}
	if strings.Contains(f.journal.String(), realKey) || strings.Contains(f.journal.String(), f.srv.Token()) {
		t.Error("the journal holds a key or the token")
	}
	if f.progress.done != 2 || f.progress.errs != 0 || f.progress.tokens != int64(2*es[0].Usage.TotalTokens) {
		t.Errorf("progress: done %d errs %d tokens %d", f.progress.done, f.progress.errs, f.progress.tokens)
	}
	if st := f.srv.Stats(); st.Requests != 2 || st.Cached != 1 || st.Errors != 0 {
		t.Errorf("stats %+v", st)
	}
}

func must(b []byte, _ error) []byte { return b }

func TestProxyRejectsAWrongToken(t *testing.T) {
	f := start(t, sim.Faults{}, 0)
	for _, tok := range []string{"", "nope", realKey} {
		code, body, _ := f.post(t, "/chat/completions", tok, chatBody)
		if code != http.StatusUnauthorized {
			t.Errorf("token %q: HTTP %d %s, want 401", tok, code, body)
		}
	}
	if n := f.sim.Count(sim.RouteChat); n != 0 {
		t.Errorf("simulator got %d requests", n)
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL()+"/models", nil)
	req.Header.Set("Authorization", "Bearer "+f.srv.Token())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"id":"model-a"`) {
		t.Errorf("GET /models: HTTP %d %s", res.StatusCode, b)
	}
}

func TestProxyStreamsTheWholeReply(t *testing.T) {
	f := start(t, sim.Faults{}, 0)
	body := `{"model":"model-a","prompt":"Question: 1+1?\nAnswer:","max_tokens":8,"stream":true,"stream_options":{"include_usage":true}}`
	code, b, h := f.post(t, "/completions", f.srv.Token(), body)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("HTTP %d %s %s", code, h.Get("Content-Type"), b)
	}
	// evalplan's own stream reader takes it as any server's.
	cl := openai.NewClient(openai.ClientOptions{BaseURL: f.srv.URL(), APIKey: f.srv.Token(), Stream: true})
	resp, err := cl.Do(context.Background(), &openai.Request{Kind: openai.KindCompletions, Model: "model-a", Prompt: "Question: 1+1?\nAnswer:", MaxTokens: 8})
	if err != nil {
		t.Fatal(err)
	}
	es := f.entries(t)
	if resp.Text != es[0].Reply || resp.Usage.TotalTokens == 0 || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Errorf("streamed %q usage %+v, journal %q; stream:\n%s", resp.Text, resp.Usage, es[0].Reply, b)
	}
	// Chat: the message arrives as a delta.
	f = start(t, sim.Faults{}, 0)
	cl = openai.NewClient(openai.ClientOptions{BaseURL: f.srv.URL(), APIKey: f.srv.Token(), Stream: true})
	resp, err = cl.Do(context.Background(), &openai.Request{Kind: openai.KindChat, Model: "model-a", Messages: []openai.Message{{Role: "user", Content: "hi"}}})
	if err != nil || resp.Text == "" {
		t.Errorf("chat stream: %+v %v", resp, err)
	}
}

func TestProxyUpstreamFailureIs5xx(t *testing.T) {
	f := start(t, sim.Faults{Rate500: 1}, 2)
	code, b, _ := f.post(t, "/chat/completions", f.srv.Token(), chatBody)
	if code != http.StatusBadGateway || !strings.Contains(string(b), "after 3 attempt") {
		t.Errorf("HTTP %d %s, want 502 after 3 attempts", code, b)
	}
	if strings.Contains(string(b), f.upstream) {
		t.Errorf("the error names the endpoint's address: %s", b)
	}
	code, b, _ = f.post(t, "/chat/completions", f.srv.Token(), `{"model":`)
	if code != http.StatusBadRequest {
		t.Errorf("broken body: HTTP %d %s", code, b)
	}
	es := f.entries(t)
	if len(es) != 2 || es[0].Status != 502 || es[0].Error == "" || es[0].Attempts != 3 {
		t.Errorf("journal: %+v", es)
	}
	if f.progress.done != 2 || f.progress.errs != 2 || len(f.progress.lines) != 1 {
		t.Errorf("progress: done %d errs %d lines %q", f.progress.done, f.progress.errs, f.progress.lines)
	}
}

// TestProxyReplaysAnEarlierAttempt: a second attempt of a run, with a fresh response cache
// (as after a kill -9 before the cache's batched write), answers from the first attempt's
// journal what the harness already got, and asks the model only for the rest.
func TestProxyReplaysAnEarlierAttempt(t *testing.T) {
	first := start(t, sim.Faults{}, 0)
	if code, _, _ := first.post(t, "/chat/completions", first.srv.Token(), chatBody); code != http.StatusOK {
		t.Fatalf("first attempt: HTTP %d", code)
	}
	first.entries(t) // closes the first proxy
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(path, first.journal.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	replay, err := proxy.ReadReplay(path)
	if err != nil || len(replay) != 1 {
		t.Fatalf("ReadReplay = %d entries, %v; want 1", len(replay), err)
	}

	second := start(t, sim.Faults{}, 0) // its own simulator and an empty cache
	second.srv.Close()
	srv, err := proxy.Start(context.Background(), proxy.Options{
		Doer:  openai.Stack(openai.NewClient(openai.ClientOptions{BaseURL: "http://" + second.upstream + "/v1", APIKey: realKey}), openai.StackOptions{}),
		Model: "model-a", Journal: syncWriter{w: second.journal}, Replay: replay, Address: "run",
	})
	if err != nil {
		t.Fatal(err)
	}
	second.srv = srv
	// The same request with keys in another order and a stream flag is the same request.
	again := `{"stream":false,"max_tokens":16,"temperature":0,"model":"model-a","messages":[{"role":"user","content":"What is 2+2?"}],"n":1,"stop":["\n\n"]}`
	code, body, _ := second.post(t, "/chat/completions", srv.Token(), again)
	if code != http.StatusOK || !json.Valid(body) {
		t.Fatalf("replayed request: HTTP %d %s", code, body)
	}
	other := strings.Replace(chatBody, "2+2", "3+3", 1)
	if code, _, _ := second.post(t, "/chat/completions", srv.Token(), other); code != http.StatusOK {
		t.Fatalf("new request: HTTP %d", code)
	}
	if n := second.sim.Count(sim.RouteChat); n != 1 {
		t.Errorf("the model was asked %d time(s) in the second attempt, want 1 (only the new request)", n)
	}
	es := second.entries(t)
	if len(es) != 2 || !es[0].Replayed || !es[0].Cached || es[0].Reply == "" || es[1].Replayed {
		t.Errorf("journal of the second attempt: %+v", es)
	}
}
