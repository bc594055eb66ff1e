package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://host/data.jsonl", "https://host/data.jsonl"},
		{"https://user:pass@host/d.jsonl", "https://host/d.jsonl"},
		{"https://ghp_tokenonly@host/d.jsonl", "https://host/d.jsonl"},
		{"https://host/d.jsonl?token=abc123&split=test", "https://host/d.jsonl?token=[redacted]&split=test"},
		{"https://host/d?access_token=a&api_key=b&apikey=c&sig=d&X-Amz-Signature=e&X-Amz-Credential=f&Password=g&rev=main",
			"https://host/d?access_token=[redacted]&api_key=[redacted]&apikey=[redacted]&sig=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&Password=[redacted]&rev=main"},
		{"https://host/d?%74oken=abc", "https://host/d?%74oken=[redacted]"},
		{"http://[::1%zz/x", "(a URL that does not parse, not shown)"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RedactURL(tc.in)); diff != "" {
				t.Errorf("RedactURL (-want +got):\n%s", diff)
			}
		})
	}
}

func TestURLSecrets(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"https://host/v1", nil},
		{"https://alice:s3cret@host/v1", []string{"alice:s3cret", "YWxpY2U6czNjcmV0", "alice", "s3cret"}},
		{"https://host/v1?api_key=k%2Fey1&model=m", []string{"k%2Fey1", "k/ey1"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, URLSecrets(tc.in)); diff != "" {
				t.Errorf("URLSecrets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	secrets := URLSecrets("https://alice:s3cret@host/v1?token=tok123")
	got := Scrub("Authorization: Basic YWxpY2U6czNjcmV0 url=https://alice:s3cret@host/v1?token=tok123 user alice", secrets)
	want := "Authorization: Basic [redacted] url=https://[redacted]@host/v1?token=[redacted] user [redacted]"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scrub (-want +got):\n%s", diff)
	}
}
