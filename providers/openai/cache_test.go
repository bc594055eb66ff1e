package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// echo is a fake Doer answering with the request's last message or prompt, or failing
// with err when it is set.
type echo struct {
	calls atomic.Int64
	err   error
}

func (e *echo) Do(ctx context.Context, req *Request) (*Response, error) {
	e.calls.Add(1)
	if e.err != nil {
		return nil, e.err
	}
	text := req.Prompt
	if len(req.Messages) > 0 {
		text = req.Messages[len(req.Messages)-1].Content
	}
	return &Response{
		Text: "re: " + text, FinishReason: "stop", Attempts: 1,
		Usage: Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5},
	}, nil
}

func chat(content string) *Request {
	return &Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: content}}, Temperature: ptr(0.0)}
}

func openTestCache(t testing.TB, path string, o CacheOptions) *Cache {
	t.Helper()
	if o.OnError == nil {
		o.OnError = func(err error) { t.Errorf("cache error: %v", err) }
	}
	c, err := OpenCache(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var nsA, nsB = []byte(`{"base_url":"http://a/v1","model":"m"}`), []byte(`{"base_url":"http://b/v1","model":"m"}`)

func TestCachedHitMiss(t *testing.T) {
	type call struct {
		ns  []byte
		req *Request
	}
	type result struct {
		Text     string
		Attempts int
		Cached   bool
	}
	tests := []struct {
		name      string
		calls     []call
		readOnly  bool
		want      []result
		wantNext  int64
		wantStats CacheStats
	}{
		{
			name:  "second equal request hits",
			calls: []call{{nsA, chat("hi")}, {nsA, chat("hi")}, {nsA, chat("hi")}},
			want: []result{
				{Text: "re: hi", Attempts: 1},
				{Text: "re: hi", Cached: true},
				{Text: "re: hi", Cached: true},
			},
			wantNext: 1, wantStats: CacheStats{Hits: 2, Misses: 1, Writes: 1, Commits: 1},
		},
		{
			name:     "namespaces never share entries",
			calls:    []call{{nsA, chat("hi")}, {nsB, chat("hi")}, {nsB, chat("hi")}},
			want:     []result{{Text: "re: hi", Attempts: 1}, {Text: "re: hi", Attempts: 1}, {Text: "re: hi", Cached: true}},
			wantNext: 2, wantStats: CacheStats{Hits: 1, Misses: 2, Writes: 2, Commits: 1},
		},
		{
			name: "any body difference misses",
			calls: []call{
				{nsA, chat("hi")},
				{nsA, &Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}, Temperature: ptr(0.5)}},
				{nsA, &Request{Kind: KindChat, Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}}},
				{nsA, &Request{Kind: KindCompletions, Model: "m", Prompt: "hi"}},
			},
			want: []result{
				{Text: "re: hi", Attempts: 1}, {Text: "re: hi", Attempts: 1},
				{Text: "re: hi", Attempts: 1}, {Text: "re: hi", Attempts: 1},
			},
			wantNext: 4, wantStats: CacheStats{Misses: 4, Writes: 4, Commits: 1},
		},
		{
			name:     "read only stores nothing",
			calls:    []call{{nsA, chat("hi")}, {nsA, chat("hi")}},
			readOnly: true,
			want:     []result{{Text: "re: hi", Attempts: 1}, {Text: "re: hi", Attempts: 1}},
			wantNext: 2, wantStats: CacheStats{Misses: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A long flush interval: commits happen at Close, hits come from memory.
			c := openTestCache(t, filepath.Join(t.TempDir(), "responses.bbolt"), CacheOptions{FlushEvery: time.Hour})
			next := &echo{}
			var got []result
			for _, cl := range tt.calls {
				d := &Cached{Next: next, Cache: c, Namespace: cl.ns, ReadOnly: tt.readOnly}
				resp, err := d.Do(context.Background(), cl.req)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, result{Text: resp.Text, Attempts: resp.Attempts, Cached: resp.Cached})
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("responses (-want +got):\n%s", diff)
			}
			if n := next.calls.Load(); n != tt.wantNext {
				t.Errorf("Next called %d times, want %d", n, tt.wantNext)
			}
			if diff := cmp.Diff(tt.wantStats, c.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCachedReopenHits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.bbolt")
	c := openTestCache(t, path, CacheOptions{FlushEvery: time.Hour})
	next := &echo{}
	d := &Cached{Next: next, Cache: c, Namespace: nsA}
	const n = 300
	for i := range n {
		if _, err := d.Do(context.Background(), chat(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// 300 entries with batches of 256 and no timer: two transactions.
	if diff := cmp.Diff(CacheStats{Misses: n, Writes: n, Commits: 2}, c.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	c = openTestCache(t, path, CacheOptions{})
	defer c.Close()
	d = &Cached{Next: next, Cache: c, Namespace: nsA}
	for i := range n {
		resp, err := d.Do(context.Background(), chat(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		want := &Response{
			Text: "re: " + fmt.Sprint(i), FinishReason: "stop", Cached: true,
			Usage: Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5},
		}
		if diff := cmp.Diff(want, resp); diff != "" {
			t.Fatalf("request %d after reopen (-want +got):\n%s", i, diff)
		}
	}
	if got := next.calls.Load(); got != n {
		t.Errorf("Next called %d times, want %d", got, n)
	}
	if s := c.Stats(); s.Hits != n || s.Misses != 0 {
		t.Errorf("stats after reopen = %+v", s)
	}
}

func TestCachedErrorsNotCached(t *testing.T) {
	c := openTestCache(t, filepath.Join(t.TempDir(), "responses.bbolt"), CacheOptions{})
	defer c.Close()
	errBusy := fmt.Errorf("POST /chat/completions: %w", &StatusError{Code: 503})
	next := &echo{err: errBusy}
	d := &Cached{Next: next, Cache: c, Namespace: nsA}
	for range 2 {
		if _, err := d.Do(context.Background(), chat("hi")); !errors.Is(err, errBusy) {
			t.Fatalf("Do = %v, want %v", err, errBusy)
		}
	}
	next.err = nil
	resp, err := d.Do(context.Background(), chat("hi"))
	if err != nil || resp.Cached {
		t.Fatalf("after recovery: %+v, %v; want a fresh response", resp, err)
	}
	if next.calls.Load() != 3 {
		t.Errorf("Next called %d times, want 3", next.calls.Load())
	}
}

func TestCachedInvalidRequestReachesNext(t *testing.T) {
	c := openTestCache(t, filepath.Join(t.TempDir(), "responses.bbolt"), CacheOptions{})
	defer c.Close()
	d := &Cached{Next: NewClient(ClientOptions{BaseURL: "http://127.0.0.1:1/v1"}), Cache: c, Namespace: nsA}
	_, err := d.Do(context.Background(), &Request{Kind: "embed", Model: "m"})
	if err == nil || !strings.Contains(err.Error(), `unknown request kind "embed"`) {
		t.Errorf("Do = %v, want the unknown kind error", err)
	}
}

// TestCacheStreamSameKey sends one request through a streaming and a non-streaming client
// of the same endpoint: the transport differs, the cache entry is shared.
func TestCacheStreamSameKey(t *testing.T) {
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		var body struct {
			Stream bool `json:"stream"`
		}
		data, _ := io.ReadAll(r.Body)
		json.Unmarshal(data, &body)
		if body.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Paris\"},\"finish_reason\":\"stop\"}]}\n\n"+
				"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\ndata: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, chatBody)
	}))
	defer srv.Close()

	k1, err := CacheKey(nsA, chat("capital of France?"))
	if err != nil {
		t.Fatal(err)
	}
	c := openTestCache(t, filepath.Join(t.TempDir(), "responses.bbolt"), CacheOptions{})
	defer c.Close()
	var got []*Response
	for _, stream := range []bool{true, false} {
		client := NewClient(ClientOptions{BaseURL: srv.URL + "/v1", Stream: stream})
		d := &Cached{Next: client, Cache: c, Namespace: nsA}
		resp, err := d.Do(context.Background(), chat("capital of France?"))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp)
	}
	want := []*Response{
		{Text: "Paris", FinishReason: "stop", Usage: Usage{5, 1, 6}, Attempts: 1},
		{Text: "Paris", FinishReason: "stop", Usage: Usage{5, 1, 6}, Cached: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
	if posts.Load() != 1 {
		t.Errorf("server got %d requests, want 1", posts.Load())
	}
	if k2, _ := CacheKey(nsB, chat("capital of France?")); string(k1) == string(k2) {
		t.Error("two namespaces gave the same key")
	}
}

func TestOpenCacheInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.bbolt")
	c := openTestCache(t, path, CacheOptions{})
	defer c.Close()
	_, err := OpenCache(path, CacheOptions{LockWait: 10 * time.Millisecond})
	if !errors.Is(err, bolterrors.ErrTimeout) || !errors.Is(err, ErrCacheLocked) || !strings.Contains(err.Error(), "in use by another evalplan") {
		t.Errorf("second OpenCache = %v, want an in-use error", err)
	}
}

// TestCacheDamagedFile writes garbage into a cache file: OpenCache fails with
// ErrCacheDamaged and the fix, or, when only data pages are hit, lookups miss and report
// the damage once; nothing panics.
func TestCacheDamagedFile(t *testing.T) {
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*131 + 7)
		}
		return b
	}
	tests := []struct {
		name string
		// damage writes into the file of a cache holding 200 entries.
		damage   func(t *testing.T, path string)
		wantOpen bool // OpenCache succeeds (the meta pages are intact)
	}{
		{"whole file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, garbage(1<<16), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"data pages", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			// Keep the two meta pages and the freelist; overwrite the rest.
			off := int64(3 * os.Getpagesize())
			if _, err := f.WriteAt(garbage(int(st.Size()-off)), off); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "responses.bbolt")
			c := openTestCache(t, path, CacheOptions{})
			next := &echo{}
			d := &Cached{Next: next, Cache: c, Namespace: nsA}
			for i := range 200 {
				if _, err := d.Do(context.Background(), chat(fmt.Sprint("q", i))); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, path)

			var reported []error
			c, err := OpenCache(path, CacheOptions{OnError: func(err error) { reported = append(reported, err) }})
			if !tt.wantOpen {
				if !errors.Is(err, ErrCacheDamaged) || !strings.Contains(err.Error(), "move it aside or apply with -no-cache") {
					t.Fatalf("OpenCache = %v, want ErrCacheDamaged with the fix", err)
				}
				return
			}
			if err != nil {
				if !errors.Is(err, ErrCacheDamaged) {
					t.Fatalf("OpenCache = %v, want nil or ErrCacheDamaged", err)
				}
				return
			}
			defer c.Close()
			d = &Cached{Next: next, Cache: c, Namespace: nsA}
			for i := range 200 {
				if _, err := d.Do(context.Background(), chat(fmt.Sprint("q", i))); err != nil {
					t.Fatal(err)
				}
			}
			damagedN := 0
			for _, err := range reported {
				if errors.Is(err, ErrCacheDamaged) {
					damagedN++
				}
			}
			if damagedN != 1 {
				t.Errorf("reported %v; want ErrCacheDamaged once", reported)
			}
		})
	}
}

func TestCacheCorruptEntryIsMiss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.bbolt")
	key, err := CacheKey(nsA, chat("hi"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(cacheBucket)
		if err != nil {
			return err
		}
		return b.Put(key, []byte("{not json"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	c, err := OpenCache(path, CacheOptions{OnError: func(err error) { errs = append(errs, err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	next := &echo{}
	resp, err := (&Cached{Next: next, Cache: c, Namespace: nsA}).Do(context.Background(), chat("hi"))
	if err != nil || resp.Cached || next.calls.Load() != 1 {
		t.Errorf("Do = %+v, %v; want a miss served by Next", resp, err)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "read response cache") {
		t.Errorf("OnError got %q, want one read error", errs)
	}
}

func TestCacheConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.bbolt")
	c := openTestCache(t, path, CacheOptions{BatchSize: 16, FlushEvery: time.Millisecond})
	next := &echo{}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			d := &Cached{Next: next, Cache: c, Namespace: nsA}
			for i := range 100 {
				q := fmt.Sprint((g + i) % 40)
				resp, err := d.Do(context.Background(), chat(q))
				if err != nil {
					t.Error(err)
					return
				}
				if resp.Text != "re: "+q {
					t.Errorf("text = %q, want %q", resp.Text, "re: "+q)
				}
			}
		})
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	if s.Hits+s.Misses != 1600 || s.Misses != next.calls.Load() || s.Writes != s.Misses || s.Errors != 0 {
		t.Errorf("stats = %+v, Next calls = %d", s, next.calls.Load())
	}
	// Closed: lookups miss, writes are dropped, nothing panics.
	if _, err := (&Cached{Next: next, Cache: c, Namespace: nsA}).Do(context.Background(), chat("0")); err != nil {
		t.Errorf("Do after Close: %v", err)
	}
}

func TestStackOrder(t *testing.T) {
	c := openTestCache(t, filepath.Join(t.TempDir(), "responses.bbolt"), CacheOptions{})
	defer c.Close()
	l := NewLimiter(LimitOptions{Initial: 2})
	client := &echo{}
	tests := []struct {
		name string
		opts StackOptions
		want string
	}{
		{"nothing", StackOptions{}, "*openai.echo"},
		{"limit", StackOptions{Limiter: l}, "*openai.Limited>*openai.echo"},
		{"retry", StackOptions{MaxRetries: 3}, "*openai.Retry>*openai.echo"},
		{"all", StackOptions{Cache: c, Namespace: nsA, Limiter: l, MaxRetries: 3, RetryBase: time.Millisecond},
			"*openai.Cached>*openai.Retry>*openai.Limited>*openai.echo"},
	}
	for _, tt := range tests {
		var chain []string
		for d := Stack(client, tt.opts); d != nil; {
			chain = append(chain, fmt.Sprintf("%T", d))
			switch v := d.(type) {
			case *Cached:
				d = v.Next
			case *Retry:
				d = v.Next
			case *Limited:
				d = v.Next
			default:
				d = nil
			}
		}
		if got := strings.Join(chain, ">"); got != tt.want {
			t.Errorf("%s: stack = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func BenchmarkCachedHit(b *testing.B) {
	c := openTestCache(b, filepath.Join(b.TempDir(), "responses.bbolt"), CacheOptions{})
	d := &Cached{Next: &echo{}, Cache: c, Namespace: nsA}
	reqs := make([]*Request, 64)
	for i := range reqs {
		reqs[i] = chat(fmt.Sprint("question ", i))
		if _, err := d.Do(context.Background(), reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
	// Commit, then reopen, so hits are served by bbolt rather than the pending map.
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	c = openTestCache(b, c.path, CacheOptions{})
	defer c.Close()
	d.Cache = c
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			resp, err := d.Do(context.Background(), reqs[i%len(reqs)])
			if err != nil || !resp.Cached {
				b.Errorf("Do = %+v, %v; want a hit", resp, err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkCachedMiss measures the store path: every request is new, so each one is
// queued for the writer and committed in batches.
func BenchmarkCachedMiss(b *testing.B) {
	c := openTestCache(b, filepath.Join(b.TempDir(), "responses.bbolt"), CacheOptions{})
	d := &Cached{Next: &echo{}, Cache: c, Namespace: nsA}
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Do(context.Background(), chat(fmt.Sprint(seq.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if s := c.Stats(); s.Writes > 0 {
		b.ReportMetric(float64(s.Writes)/float64(s.Commits), "entries/commit")
	}
}

// TestCachedNoAnswerNotCached sends each kind of 200 without an answer through the real
// stack (cache → client): the request fails with ErrNoAnswer, nothing is stored, and once
// the server answers, the answer is fetched afresh and then served from the cache.
func TestCachedNoAnswerNotCached(t *testing.T) {
	tests := []struct {
		name, kind, body string
	}{
		{"null content", KindChat, `{"choices":[{"message":{"content":null},"finish_reason":"stop"}]}`},
		{"absent content", KindChat, `{"choices":[{"message":{"role":"assistant"},"finish_reason":"stop"}]}`},
		{"no message", KindChat, `{"choices":[{"finish_reason":"stop"}]}`},
		{"refusal only", KindChat, `{"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":"stop"}]}`},
		{"empty choices", KindChat, `{"choices":[]}`},
		{"completions empty choices", KindCompletions, `{"choices":[]}`},
		{"completions missing text", KindCompletions, `{"choices":[{"finish_reason":"stop"}]}`},
	}
	const fixed = `{"choices":[{"message":{"content":"42"},"text":"42","finish_reason":"stop"}]}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{response: tt.body}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			c := openTestCache(t, filepath.Join(t.TempDir(), "responses.bbolt"), CacheOptions{})
			d := Stack(NewClient(ClientOptions{BaseURL: srv.URL + "/v1"}), StackOptions{Cache: c, Namespace: nsA})
			req := chat("q")
			req.Kind, req.Prompt = tt.kind, "q"
			if resp, err := d.Do(context.Background(), req); !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("broken server: Do = %+v, %v; want ErrNoAnswer", resp, err)
			}
			rec.mu.Lock()
			rec.response = fixed
			rec.mu.Unlock()
			var got []Response
			for range 2 {
				resp, err := d.Do(context.Background(), req)
				if err != nil {
					t.Fatalf("fixed server: %v", err)
				}
				got = append(got, *resp)
			}
			want := []Response{
				{Text: "42", FinishReason: "stop", Attempts: 1},
				{Text: "42", FinishReason: "stop", Cached: true},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("responses after the fix (-want +got):\n%s", diff)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if s := c.Stats(); s.Writes != 1 {
				t.Errorf("cache wrote %d entries, want 1 (the answer only)", s.Writes)
			}
		})
	}
}

// TestCacheUnansweredLegacyEntryIsMiss opens a cache written before replies without an
// answer became errors: an entry with empty text may be such a reply and is a miss; an
// entry with text, or an empty answer written since, is a hit.
func TestCacheUnansweredLegacyEntryIsMiss(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		hit   bool
	}{
		{"legacy empty text", `{"text":"","finish_reason":"stop","usage":{}}`, false},
		{"legacy text", `{"text":"Paris","finish_reason":"stop","usage":{}}`, true},
		{"answered empty text", `{"text":"","finish_reason":"stop","usage":{},"answered":true}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "responses.bbolt")
			key, err := CacheKey(nsA, chat("hi"))
			if err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists(cacheBucket)
				if err != nil {
					return err
				}
				return b.Put(key, []byte(tt.entry))
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			c := openTestCache(t, path, CacheOptions{})
			defer c.Close()
			next := &echo{}
			resp, err := (&Cached{Next: next, Cache: c, Namespace: nsA}).Do(context.Background(), chat("hi"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Cached != tt.hit || (next.calls.Load() == 0) != tt.hit {
				t.Errorf("Do = %+v with %d calls to Next; want hit = %v", resp, next.calls.Load(), tt.hit)
			}
		})
	}
}
