package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEndpointAllowCrossHostRedirects(t *testing.T) {
	for _, tc := range []struct {
		attr string
		want bool
	}{
		{"", false},
		{"allow_cross_host_redirects = true", true},
		{"allow_cross_host_redirects = false", false},
	} {
		t.Run(tc.attr, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"eval.hcl": `
endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
  ` + tc.attr + `
}
`})
			cfg, diags := Load(dir, LoadOptions{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tc.want, cfg.Endpoints["a"].AllowCrossHostRedirects); diff != "" {
				t.Errorf("AllowCrossHostRedirects (-want +got):\n%s", diff)
			}
		})
	}
}
