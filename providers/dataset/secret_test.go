package dataset

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/config"
)

// secret is the credential every source in TestFetchKeepsCredentialsOut carries.
const secret = "s3cr3t-cred"

// cacheText is every file under cache, concatenated.
func cacheText(t *testing.T, cache string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range listFiles(t, cache) {
		b.Write(mustRead(t, filepath.Join(cache, f)))
		b.WriteString("\n")
	}
	return b.String()
}

func TestFetchKeepsCredentialsOut(t *testing.T) {
	forms := []struct {
		name string
		url  func(base string) string // base is http://127.0.0.1:PORT
	}{
		{"user and password", func(b string) string { return strings.Replace(b, "://", "://alice:"+secret+"@", 1) + "/data.jsonl" }},
		{"token as user", func(b string) string { return strings.Replace(b, "://", "://"+secret+"@", 1) + "/data.jsonl" }},
		{"token", func(b string) string { return b + "/data.jsonl?token=" + secret }},
		{"access_token", func(b string) string { return b + "/data.jsonl?split=test&access_token=" + secret }},
		{"api_key", func(b string) string { return b + "/data.jsonl?api_key=" + secret }},
		{"sig", func(b string) string { return b + "/data.jsonl?sv=2024&sig=" + secret }},
		{"X-Amz-Signature", func(b string) string { return b + "/data.jsonl?X-Amz-Signature=" + secret }},
	}
	scenarios := []struct {
		name   string
		answer func(n int, w http.ResponseWriter, r *http.Request) bool
		closed bool // the server is gone: a transport error
		ok     bool
	}{
		{name: "fetched", ok: true},
		{name: "interrupted every time", answer: func(n int, w http.ResponseWriter, r *http.Request) bool {
			if r.Header.Get("Range") == "" {
				cut(w)
			}
			http.Error(w, "no", http.StatusServiceUnavailable)
			return true
		}},
		{name: "unreachable", closed: true},
	}
	for _, form := range forms {
		for _, sc := range scenarios {
			t.Run(form.name+"/"+sc.name, func(t *testing.T) {
				srv := newServer(t, false, sc.answer)
				ds := &config.Dataset{Name: "qa", Source: form.url(srv.URL)}
				if sc.closed {
					srv.Close()
				}
				cache := t.TempDir()
				prog := newRecorder()
				_, err := (&Provider{}).Fetch(context.Background(), ds, cache, prog)
				if diff := cmp.Diff(sc.ok, err == nil); diff != "" {
					t.Fatalf("Fetch error %v (-want ok +got):\n%s", err, diff)
				}
				entries, serr := Status(cache)
				if serr != nil {
					t.Fatal(serr)
				}
				var seen []string
				for what, text := range map[string]string{
					"error":    errText(err),
					"progress": prog.logText(),
					"cache":    cacheText(t, cache),
					"status":   strings.Join(entrySources(entries), "\n"),
				} {
					if strings.Contains(text, secret) {
						seen = append(seen, what+": "+text)
					}
				}
				if diff := cmp.Diff([]string(nil), seen); diff != "" {
					t.Errorf("the credential appears (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func entrySources(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Source
	}
	return out
}

func TestFetchRedirectDropsToken(t *testing.T) {
	const token = "hf_redirect_secret"
	var mu sync.Mutex
	var cdnAuth []string
	cdn := newServer(t, false, func(n int, w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		cdnAuth = append(cdnAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		return false // serve the body
	})
	tests := []struct {
		name    string
		target  string // where the hub redirects; relative stays on the hub
		wantHub []string
		wantCDN []string
	}{
		{name: "same host keeps the token", target: "/cdn/data.jsonl", wantHub: []string{"Bearer " + token, "Bearer " + token}},
		{name: "another host gets no token", target: cdn.URL + "/data.jsonl?X-Amz-Signature=sig", wantHub: []string{"Bearer " + token}, wantCDN: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			cdnAuth = nil
			mu.Unlock()
			var hubAuth []string
			hub := newServer(t, false, func(n int, w http.ResponseWriter, r *http.Request) bool {
				mu.Lock()
				hubAuth = append(hubAuth, r.Header.Get("Authorization"))
				mu.Unlock()
				if strings.HasPrefix(r.URL.Path, "/cdn/") {
					return false
				}
				http.Redirect(w, r, tt.target, http.StatusFound)
				return true
			})
			env := map[string]string{"HF_ENDPOINT": hub.URL, "HF_TOKEN": token}
			p := &Provider{Env: func(k string) string { return env[k] }}
			ds := &config.Dataset{Name: "qa", Source: "hf://org/name/data.jsonl", SHA256: shaOf(body)}
			if _, err := p.Fetch(context.Background(), ds, t.TempDir(), nil); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.wantHub, hubAuth); diff != "" {
				t.Errorf("hub's Authorization headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCDN, cdnAuth); diff != "" {
				t.Errorf("CDN's Authorization headers (-want +got):\n%s", diff)
			}
		})
	}
}
