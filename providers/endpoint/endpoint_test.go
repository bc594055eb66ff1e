package endpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// server answers GET /v1/models with body and status, and records the auth header.
type server struct {
	status int
	body   string
	auth   string
	org    string
	paths  []string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.paths = append(s.paths, r.Method+" "+r.URL.Path)
	s.auth = r.Header.Get("Authorization")
	s.org = r.Header.Get("X-Org")
	if r.URL.Path != "/v1/models" {
		http.NotFound(w, r)
		return
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	io.WriteString(w, s.body)
}

func TestProbe(t *testing.T) {
	srv := &server{body: `{"object":"list","data":[{"id":"other"},{"id":"llama","max_model_len":4096}]}`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ep := &config.Endpoint{
		Name: "local", Model: "llama", Type: "chat", URL: ts.URL + "/v1", APIKey: "sk-x",
		Headers: map[string]string{"X-Org": "team"}, Revision: "abc",
		Capabilities: []string{"tools", "logprobs"},
	}
	got, err := (&Provider{}).Probe(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	want := plan.Fingerprint{Model: "llama", Type: "chat", Revision: "abc", Capabilities: []string{"logprobs", "tools"}, MaxModelLen: 4096}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fingerprint (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer sk-x", "team"}, []string{srv.auth, srv.org}); diff != "" {
		t.Errorf("auth, header (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GET /v1/models"}, srv.paths); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"tools", "logprobs"}, ep.Capabilities); diff != "" {
		t.Errorf("Probe changed the endpoint's capabilities (-want +got):\n%s", diff)
	}
}

func TestProbeNoMaxModelLen(t *testing.T) {
	ts := httptest.NewServer(&server{body: `{"data":[{"id":"gpt"}]}`})
	defer ts.Close()
	got, err := (&Provider{HTTPClient: ts.Client()}).Probe(context.Background(), &config.Endpoint{Name: "e", Model: "gpt", Type: "completions", URL: ts.URL + "/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plan.Fingerprint{Model: "gpt", Type: "completions"}, got); diff != "" {
		t.Errorf("fingerprint (-want +got):\n%s", diff)
	}
}

func TestProbeErrors(t *testing.T) {
	var many []string
	for i := range 12 {
		many = append(many, fmt.Sprintf(`{"id":"m%d"}`, i))
	}
	block := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer hang.Close()
	defer close(block) // before hang.Close
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name    string
		srv     *server
		url     string // when srv is nil
		vllm    bool
		timeout time.Duration
		want    []string // substrings of the message, in order
	}{
		{
			name: "connection refused", url: closed.URL + "/v1",
			want: []string{"endpoint.e: cannot reach " + closed.URL + "/v1: ", "connection refused", "is the server running? Use -refresh=false to plan from the last known fingerprint"},
		},
		{
			name: "timeout", url: hang.URL + "/v1", timeout: 20 * time.Millisecond,
			want: []string{"endpoint.e: cannot reach ", "request timed out after 20ms", "is the server running?"},
		},
		{
			name: "401", srv: &server{status: 401, body: `{"error":"invalid key sk-secret"}`},
			want: []string{"endpoint.e: the server rejected the API key (", "HTTP 401", "[redacted]", "); check api_key"},
		},
		{
			name: "403", srv: &server{status: 403},
			want: []string{"endpoint.e: the server rejected the API key", "check api_key"},
		},
		{
			name: "404", url: "/", srv: &server{},
			want: []string{"endpoint.e: ", " does not look like an OpenAI-compatible /v1 base URL (", "404", "); check url"},
		},
		{
			name: "500", srv: &server{status: 500, body: "boom"},
			want: []string{"endpoint.e: listing models at ", "HTTP 500", "boom", "check the server's logs"},
		},
		{
			name: "malformed", srv: &server{body: `<html>login</html>`},
			want: []string{"endpoint.e: ", "/models did not return an OpenAI model list (", "malformed response", "check that url is the server's /v1 base URL"},
		},
		{
			name: "model not served", srv: &server{body: `{"data":[{"id":"a"},{"id":"b"}]}`},
			want: []string{"endpoint.e: ", ` serves [a, b], not "llama"; set model to a served name`},
		},
		{
			name: "many models", srv: &server{body: `{"data":[` + strings.Join(many, ",") + `]}`},
			want: []string{` serves [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, … and 2 more], not "llama"`},
		},
		{
			name: "managed", vllm: true,
			want: []string{"endpoint.e: managed endpoints (vllm block) are not yet supported"},
		},
		{
			name: "no url",
			want: []string{"endpoint.e: url is not set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &config.Endpoint{Name: "e", Model: "llama", Type: "chat", URL: tt.url, APIKey: "sk-secret"}
			if tt.srv != nil {
				ts := httptest.NewServer(tt.srv)
				defer ts.Close()
				ep.URL = ts.URL + tt.url
				if tt.url == "" {
					ep.URL += "/v1"
				}
			}
			if tt.vllm {
				ep.Server = &config.ManagedServer{}
			}
			_, err := (&Provider{Timeout: tt.timeout}).Probe(context.Background(), ep)
			if err == nil {
				t.Fatal("Probe succeeded, want error")
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(msg, "sk-secret") {
				t.Errorf("error leaks the API key: %s", msg)
			}
		})
	}
}

func TestProbeCancelled(t *testing.T) {
	ts := httptest.NewServer(&server{body: `{"data":[]}`})
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Provider{}).Probe(ctx, &config.Endpoint{Name: "e", Model: "m", URL: ts.URL + "/v1"})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "endpoint.e: probe of ") {
		t.Errorf("Probe = %v, want endpoint.e: probe of … interrupted wrapping context.Canceled", err)
	}
}

func TestProbeErrorsHideSecretURLs(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	host := strings.TrimPrefix(closed.URL, "http://")
	tests := []struct {
		name      string
		url       string
		sensitive bool
		hidden    []string
	}{
		{"credentials", "http://user:PASSWORD1@" + host + "/v1", false, []string{"PASSWORD1", "user:"}},
		{"sensitive url", closed.URL + "/v1", true, []string{host}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &config.Endpoint{Name: "e", Model: "m", Type: "chat", URL: tt.url, URLSensitive: tt.sensitive}
			_, err := (&Provider{}).Probe(context.Background(), ep)
			if err == nil {
				t.Fatal("probe of a closed server succeeded")
			}
			for _, h := range tt.hidden {
				if strings.Contains(err.Error(), h) {
					t.Errorf("error shows %q: %v", h, err)
				}
			}
		})
	}
}

func TestProbeScrubsEchoedCredentials(t *testing.T) {
	// A server (or a proxy before it) that echoes the Authorization header, a custom header
	// and the URL into a 500 body.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "auth="+r.Header.Get("Authorization")+" x="+r.Header.Get("X-Api-Key")+" url="+r.URL.String())
	}))
	defer echo.Close()
	host := strings.TrimPrefix(echo.URL, "http://")
	tests := []struct {
		name   string
		ep     config.Endpoint
		hidden []string
	}{
		{"api key and header", config.Endpoint{URL: echo.URL + "/v1", APIKey: "sk-probe-secret", Headers: map[string]string{"X-Api-Key": "hdr-probe-secret"}},
			[]string{"sk-probe-secret", "hdr-probe-secret"}},
		{"basic auth", config.Endpoint{URL: "http://bob:pw-probe-secret@" + host + "/v1"},
			[]string{"pw-probe-secret", "Ym9iOnB3LXByb2JlLXNlY3JldA=="}},
		{"token in a sensitive url's path", config.Endpoint{URL: echo.URL + "/tok-probe-secret/v1", URLSensitive: true},
			[]string{"tok-probe-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := tt.ep
			ep.Name, ep.Model, ep.Type = "e", "m", "chat"
			_, err := (&Provider{}).Probe(context.Background(), &ep)
			if err == nil {
				t.Fatal("probe succeeded")
			}
			var leaked []string
			for _, h := range tt.hidden {
				if strings.Contains(err.Error(), h) {
					leaked = append(leaked, h)
				}
			}
			if diff := cmp.Diff([]string(nil), leaked); diff != "" {
				t.Errorf("error %q leaks (-want +got):\n%s", err, diff)
			}
		})
	}
}

func TestProbeRefusesCrossHostRedirect(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"m"}]}`)
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/models", http.StatusTemporaryRedirect)
	}))
	defer origin.Close()
	for _, tc := range []struct {
		allow   bool
		wantErr string
	}{
		{false, "endpoint.e: listing models at " + origin.URL + "/v1: GET /models: redirect to another host refused: the server redirected to " + strings.TrimPrefix(other.URL, "http://") +
			"; evalplan sends the API key and headers only to the configured host: set url to the redirect's target, or allow_cross_host_redirects = true to follow it without credentials"},
		{true, ""},
	} {
		t.Run(fmt.Sprint(tc.allow), func(t *testing.T) {
			ep := &config.Endpoint{Name: "e", Model: "m", Type: "chat", URL: origin.URL + "/v1", APIKey: "sk-x", AllowCrossHostRedirects: tc.allow}
			_, err := (&Provider{}).Probe(context.Background(), ep)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, got); diff != "" {
				t.Errorf("Probe error (-want +got):\n%s\nfull: %v", diff, err)
			}
		})
	}
}
