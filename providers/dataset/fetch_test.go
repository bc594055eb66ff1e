package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// body is a test dataset of 1000 JSON Lines.
var body = func() []byte {
	var b bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&b, "{\"id\":%d,\"question\":\"q%d\"}\n", i, i)
	}
	return b.Bytes()
}()

// server is a test file server that records requests and lets a test script its answers.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	ranges []string // the Range header of each request ("" when none)
	// answer, when set, handles request n (0-based) and reports whether it did.
	answer func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newServer(t *testing.T, tls bool, answer func(n int, w http.ResponseWriter, r *http.Request) bool) *server {
	s := &server{answer: answer}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.ranges)
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		s.mu.Unlock()
		if s.answer != nil && s.answer(n, w, r) {
			return
		}
		serveBody(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// serveBody serves body honouring Range and If-Range.
func serveBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", `"v1"`)
	http.ServeContent(w, r, "data.jsonl", time.Unix(1e9, 0), bytes.NewReader(body))
}

// cut sends the first half of body with the full Content-Length, then drops the connection.
func cut(w http.ResponseWriter) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("ETag", `"v1"`)
	w.WriteHeader(http.StatusOK)
	w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFetchHTTPS(t *testing.T) {
	srv := newServer(t, true, nil)
	cache := t.TempDir()
	p := &Provider{Client: srv.Client()}
	ds := &config.Dataset{Name: "qa", Source: srv.URL + "/files/data.jsonl", SHA256: shaOf(body)}
	if _, ok := p.Cached(ds, cache); ok {
		t.Fatal("Cached = true before any Fetch")
	}
	prog := newRecorder()
	got, err := p.Fetch(context.Background(), ds, cache, prog)
	if err != nil {
		t.Fatal(err)
	}
	want := plan.DatasetFile{Path: filepath.Join(cache, "datasets", "sha256", shaOf(body)+".jsonl"), SHA256: shaOf(body), Size: int64(len(body))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Fetch mismatch (-want +got):\n%s", diff)
	}
	if !bytes.Equal(mustRead(t, got.Path), body) {
		t.Error("cached bytes differ from the served ones")
	}
	if prog.total["dataset.qa"] != int64(len(body)) || prog.done["dataset.qa"] != int64(len(body)) {
		t.Errorf("progress total %d done %d, want %d", prog.total["dataset.qa"], prog.done["dataset.qa"], len(body))
	}
	cached, ok := p.Cached(ds, cache)
	if !ok {
		t.Fatal("Cached = false after Fetch")
	}
	if diff := cmp.Diff(want, cached); diff != "" {
		t.Errorf("Cached mismatch (-want +got):\n%s", diff)
	}
	if _, err := p.Fetch(context.Background(), ds, cache, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1 (the second Fetch is served from the cache)", n)
	}
	// Only the cached file, its sidecar, the source index and the lock file remain.
	files := listFiles(t, filepath.Join(cache, "datasets"))
	wantFiles := []string{"partial/" + shaOf(body) + ".lock", "sources/" + sourceKey(ds.Source) + ".json", "sha256/" + shaOf(body) + ".jsonl", "sha256/" + shaOf(body) + ".meta.json"}
	if diff := cmp.Diff(wantFiles, files, cmpSorted); diff != "" {
		t.Errorf("cache files mismatch (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestFetchWithoutSHA256(t *testing.T) {
	srv := newServer(t, false, nil)
	cache := t.TempDir()
	p := &Provider{}
	ds := &config.Dataset{Name: "qa", Source: srv.URL + "/data.jsonl"}
	if _, ok := p.Cached(ds, cache); ok {
		t.Fatal("Cached = true before any Fetch")
	}
	got, err := p.Fetch(context.Background(), ds, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != shaOf(body) {
		t.Errorf("SHA256 = %s, want the bytes' %s", got.SHA256, shaOf(body))
	}
	// The source index finds it again without network.
	srv.Close()
	cached, ok := p.Cached(ds, cache)
	if !ok {
		t.Fatal("Cached = false after a Fetch without sha256")
	}
	if diff := cmp.Diff(got, cached); diff != "" {
		t.Errorf("Cached mismatch (-want +got):\n%s", diff)
	}
	if _, ok := p.Cached(&config.Dataset{Name: "qa", Source: srv.URL + "/other.jsonl"}, cache); ok {
		t.Error("Cached = true for another source")
	}
}

func TestFetchMismatchLeavesCacheClean(t *testing.T) {
	srv := newServer(t, false, nil)
	cache := t.TempDir()
	wrong := shaOf([]byte("something else"))
	ds := &config.Dataset{Name: "qa", Source: srv.URL + "/data.jsonl", SHA256: wrong}
	ds.DeclRange.Filename = "eval.hcl"
	ds.DeclRange.Start.Line = 12
	_, err := (&Provider{}).Fetch(context.Background(), ds, cache, nil)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MismatchError", err)
	}
	if me.Expected != wrong || me.Got != shaOf(body) {
		t.Errorf("expected %s got %s, want %s and %s", me.Expected, me.Got, wrong, shaOf(body))
	}
	for _, s := range []string{"expected: " + wrong, "got:      " + shaOf(body), "update sha256 in eval.hcl:12", srv.URL} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
	// Nothing but the lock file is left.
	files := listFiles(t, filepath.Join(cache, "datasets"))
	if diff := cmp.Diff([]string{"partial/" + wrong + ".lock"}, files); diff != "" {
		t.Errorf("cache files mismatch (-want +got):\n%s", diff)
	}
	if _, ok := (&Provider{}).Cached(ds, cache); ok {
		t.Error("Cached = true after a mismatch")
	}
}

func TestFetchResume(t *testing.T) {
	half := len(body) / 2
	tests := []struct {
		name string
		// answer scripts the server; requests not answered get serveBody.
		answer func(n int, w http.ResponseWriter, r *http.Request) bool
		// fetches is how many Fetch calls it takes; the earlier ones fail.
		fetches    int
		noSHA      bool
		wantRanges []string
		wantLog    string
	}{
		{
			name: "next Fetch resumes",
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				switch n {
				case 0:
					cut(w)
				case 1: // the retry within the first Fetch fails without progress
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return true
				}
				return false
			},
			fetches:    2,
			wantRanges: []string{"", fmt.Sprintf("bytes=%d-", half), fmt.Sprintf("bytes=%d-", half)},
		},
		{
			name: "same Fetch resumes after progress",
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					cut(w)
				}
				return false
			},
			fetches:    1,
			wantRanges: []string{"", fmt.Sprintf("bytes=%d-", half)},
			wantLog:    "resuming",
		},
		{
			name: "server ignoring Range",
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					cut(w)
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.Write(body) // 200, whatever the Range
				return true
			},
			fetches:    1,
			wantRanges: []string{"", fmt.Sprintf("bytes=%d-", half)},
			wantLog:    "starting again from the beginning",
		},
		{
			name: "changed source restarts (If-Range)",
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					cut(w)
				}
				if r.Header.Get("If-Range") != `"v1"` {
					http.Error(w, "If-Range missing", http.StatusBadRequest)
					return true
				}
				w.Header().Set("ETag", `"v2"`) // ServeContent then ignores the Range
				http.ServeContent(w, r, "x.jsonl", time.Time{}, bytes.NewReader(body))
				return true
			},
			fetches:    1,
			wantRanges: []string{"", fmt.Sprintf("bytes=%d-", half)},
			wantLog:    "starting again",
		},
		{
			name: "no validator and no sha256 restarts",
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				if n == 0 {
					w.Write(body[:len(body)/2])
					w.(http.Flusher).Flush()
					panic(http.ErrAbortHandler)
				}
				w.Write(body)
				return true
			},
			fetches:    1,
			noSHA:      true,
			wantRanges: []string{"", ""},
			wantLog:    "resuming",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, false, tt.answer)
			cache := t.TempDir()
			ds := &config.Dataset{Name: "qa", Source: srv.URL + "/data.jsonl", SHA256: shaOf(body)}
			if tt.noSHA {
				ds.SHA256 = ""
			}
			p := &Provider{}
			prog := newRecorder()
			var got plan.DatasetFile
			var err error
			for i := range tt.fetches {
				got, err = p.Fetch(context.Background(), ds, cache, prog)
				if i < tt.fetches-1 {
					if err == nil || !strings.Contains(err.Error(), `dataset "qa"`) || !strings.Contains(err.Error(), srv.URL) {
						t.Fatalf("Fetch #%d: err = %v, want one naming the dataset and URL", i, err)
					}
					partial := filepath.Join(cache, "datasets", "partial", shaOf(body)+".partial")
					if n := len(mustRead(t, partial)); n != half {
						t.Fatalf("partial file holds %d bytes, want %d", n, half)
					}
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustRead(t, got.Path), body) || got.SHA256 != shaOf(body) {
				t.Error("resumed file differs from the served one")
			}
			if diff := cmp.Diff(tt.wantRanges, srv.requests()); diff != "" {
				t.Errorf("Range headers mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(prog.logText(), tt.wantLog) {
				t.Errorf("progress log %q does not contain %q", prog.logText(), tt.wantLog)
			}
			if files := listFiles(t, filepath.Join(cache, "datasets", "partial")); len(files) != 1 {
				t.Errorf("partial directory holds %v, want only the lock file", files)
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	tests := []struct {
		name    string
		maxSize int64
		answer  func(n int, w http.ResponseWriter, r *http.Request) bool
		wantErr []string
	}{
		{
			name:    "announced size over the limit",
			maxSize: 100,
			wantErr: []string{"over the 100 B dataset size limit", `dataset "qa"`},
		},
		{
			name:    "streamed size over the limit",
			maxSize: 100,
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.Write(body[:60])
				w.(http.Flusher).Flush() // chunked: no Content-Length
				w.Write(body[60:])
				return true
			},
			wantErr: []string{"over the 100 B dataset size limit"},
		},
		{
			name: "not found",
			answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
				http.NotFound(w, r)
				return true
			},
			wantErr: []string{"404 Not Found", "check the source's path", "/data.jsonl"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, false, tt.answer)
			cache := t.TempDir()
			ds := &config.Dataset{Name: "qa", Source: srv.URL + "/data.jsonl"}
			_, err := (&Provider{MaxSize: tt.maxSize}).Fetch(context.Background(), ds, cache, nil)
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			for _, f := range listFiles(t, filepath.Join(cache, "datasets")) {
				if !strings.HasSuffix(f, ".lock") {
					t.Errorf("cache holds %s after a failed Fetch", f)
				}
			}
		})
	}
}

func TestFetchHF(t *testing.T) {
	const token = "hf_secret_token"
	tests := []struct {
		name    string
		token   string
		status  int
		wantErr []string
	}{
		{name: "token sent", token: token},
		{name: "gated without token", status: http.StatusUnauthorized, wantErr: []string{"401", "set HF_TOKEN"}},
		{name: "token without access", token: token, status: http.StatusForbidden, wantErr: []string{"403", "check that HF_TOKEN can read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var paths, auths []string
			srv := newServer(t, false, func(n int, w http.ResponseWriter, r *http.Request) bool {
				mu.Lock()
				paths = append(paths, r.URL.EscapedPath())
				auths = append(auths, r.Header.Get("Authorization"))
				mu.Unlock()
				if tt.status != 0 {
					http.Error(w, "no", tt.status)
					return true
				}
				return false
			})
			env := map[string]string{"HF_ENDPOINT": srv.URL, "HF_TOKEN": tt.token}
			p := &Provider{Env: func(k string) string { return env[k] }}
			ds := &config.Dataset{Name: "qa", Source: "hf://org/name/data/test.jsonl@v1.0"}
			got, err := p.Fetch(context.Background(), ds, t.TempDir(), nil)
			wantAuth := ""
			if tt.token != "" {
				wantAuth = "Bearer " + tt.token
			}
			if diff := cmp.Diff([]string{"/datasets/org/name/resolve/v1.0/data/test.jsonl"}, paths); diff != "" {
				t.Errorf("request paths mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{wantAuth}, auths); diff != "" {
				t.Errorf("Authorization mismatch (-want +got):\n%s", diff)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got.SHA256 != shaOf(body) || filepath.Ext(got.Path) != ".jsonl" {
					t.Errorf("Fetch = %+v", got)
				}
				return
			}
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestFetchCancel(t *testing.T) {
	sent := make(chan struct{})
	srv := newServer(t, false, func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:10])
		w.(http.Flusher).Flush()
		close(sent)
		<-r.Context().Done()
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prog := &cancelOnAdd{recorder: newRecorder(), cancel: cancel}
	ds := &config.Dataset{Name: "qa", Source: srv.URL + "/data.jsonl"}
	_, err := (&Provider{}).Fetch(ctx, ds, t.TempDir(), prog)
	<-sent
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run again to resume") {
		t.Errorf("err = %v, want context.Canceled saying it resumes", err)
	}
}

// cancelOnAdd cancels a context on the first bytes received.
type cancelOnAdd struct {
	*recorder
	cancel context.CancelFunc
}

func (c *cancelOnAdd) Add(addr string, n, errs, tokens int64) {
	c.recorder.Add(addr, n, errs, tokens)
	if n > 0 {
		c.cancel()
	}
}
