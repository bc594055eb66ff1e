package openai

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// credentials are what TestClientRedirects' client sends.
var credentials = map[string]string{"Authorization": "Bearer sk-redirect-secret", "X-Api-Key": "xkey-secret", "Api-Key": "azure-secret"}

// headerLog records the credential headers of each request a test server receives.
type headerLog struct {
	mu   sync.Mutex
	seen []map[string]string
}

func (l *headerLog) record(r *http.Request) {
	got := map[string]string{}
	for k := range credentials {
		if v := r.Header.Get(k); v != "" {
			got[k] = v
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, got)
}

func (l *headerLog) requests() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

func TestClientRedirects(t *testing.T) {
	var otherLog headerLog
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherLog.record(r)
		io.WriteString(w, `{"data":[{"id":"m"}]}`)
	}))
	defer other.Close()
	otherHost := strings.TrimPrefix(other.URL, "http://")

	tests := []struct {
		name      string
		target    string // where the origin's /v1/models redirects to; its own /ok/models serves
		allow     bool
		wantErr   bool
		wantOrig  int                 // requests the origin receives
		wantOther []map[string]string // credential headers the other host receives
	}{
		{name: "same host keeps credentials", target: "/ok/models", wantOrig: 2},
		{name: "other host refused", target: other.URL + "/v1/models?sig=target-secret", wantErr: true, wantOrig: 1},
		{name: "other host allowed, without credentials", target: other.URL + "/v1/models", allow: true, wantOrig: 1,
			wantOther: []map[string]string{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var origLog headerLog
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				origLog.record(r)
				if r.URL.Path == "/ok/models" {
					io.WriteString(w, `{"data":[{"id":"m"}]}`)
					return
				}
				http.Redirect(w, r, tt.target, http.StatusFound)
			}))
			defer origin.Close()
			otherLog = headerLog{}
			c := NewClient(ClientOptions{
				BaseURL:                 origin.URL + "/v1",
				APIKey:                  "sk-redirect-secret",
				Headers:                 map[string]string{"X-Api-Key": "xkey-secret", "api-key": "azure-secret"},
				AllowCrossHostRedirects: tt.allow,
			})
			_, err := c.Models(context.Background())
			if diff := cmp.Diff(tt.wantErr, err != nil); diff != "" {
				t.Fatalf("Models error %v (-want +got):\n%s", err, diff)
			}
			if tt.wantErr {
				if !errors.Is(err, ErrCrossHostRedirect) || !strings.Contains(err.Error(), otherHost) {
					t.Errorf("error %q: want ErrCrossHostRedirect naming %s", err, otherHost)
				}
				for _, s := range []string{"target-secret", "sk-redirect-secret", "xkey-secret", "azure-secret"} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q shows %q", err, s)
					}
				}
			}
			wantOrig := make([]map[string]string, tt.wantOrig)
			for i := range wantOrig {
				wantOrig[i] = credentials
			}
			if diff := cmp.Diff(wantOrig, origLog.requests()); diff != "" {
				t.Errorf("origin's credential headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOther, otherLog.requests()); diff != "" {
				t.Errorf("other host's credential headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusErrorScrubsEchoedCredentials(t *testing.T) {
	// The server echoes what a careless proxy would: the Authorization header, every
	// header and the URL.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "auth="+r.Header.Get("Authorization")+" key="+r.Header.Get("X-Api-Key")+" url="+r.URL.String()+" host="+r.Host)
	}))
	defer echo.Close()
	host := strings.TrimPrefix(echo.URL, "http://")
	tests := []struct {
		name    string
		opts    ClientOptions
		secrets []string
	}{
		{
			name:    "api key and header",
			opts:    ClientOptions{BaseURL: echo.URL + "/v1", APIKey: "sk-echo-secret", Headers: map[string]string{"X-Api-Key": "xkey-echo-secret"}},
			secrets: []string{"sk-echo-secret", "xkey-echo-secret"},
		},
		{
			name:    "basic auth from the URL",
			opts:    ClientOptions{BaseURL: "http://alice:pw-echo-secret@" + host + "/v1"},
			secrets: []string{"pw-echo-secret", "YWxpY2U6cHctZWNoby1zZWNyZXQ="},
		},
		{
			name:    "token in the path, given as a secret",
			opts:    ClientOptions{BaseURL: echo.URL + "/t/path-echo-secret/v1", Secrets: []string{"path-echo-secret"}},
			secrets: []string{"path-echo-secret"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.opts).Models(context.Background())
			se, ok := errors.AsType[*StatusError](err)
			if !ok {
				t.Fatalf("Models error %v, want a *StatusError", err)
			}
			var leaked []string
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) || strings.Contains(se.Body, s) {
					leaked = append(leaked, s)
				}
			}
			if diff := cmp.Diff([]string(nil), leaked); diff != "" {
				t.Errorf("error %q leaks (-want +got):\n%s", err, diff)
			}
			if !strings.Contains(se.Body, "[redacted]") {
				t.Errorf("body %q: want [redacted] in place of the credentials", se.Body)
			}
		})
	}
}
