package dataset

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/config"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		source  string
		env     map[string]string
		local   string // want a local source at this path
		url     string // want a remote source at this URL
		bearer  string
		wantErr string
	}{
		{name: "relative path", source: "data/qa.jsonl", local: filepath.Join(dir, "data", "qa.jsonl")},
		{name: "relative glob", source: "data/*.csv", local: filepath.Join(dir, "data", "*.csv")},
		{name: "absolute path", source: "/srv/x.json", local: "/srv/x.json"},
		{name: "file URL", source: "file:///data/gsm8k/test.jsonl", local: "/data/gsm8k/test.jsonl"},
		{name: "file URL with host", source: "file://server/x.jsonl", wantErr: "absolute path"},
		{name: "https", source: "https://example.test/a/b.jsonl?x=1", url: "https://example.test/a/b.jsonl?x=1"},
		{name: "hf default endpoint and revision", source: "hf://openai/gsm8k/main/test.parquet",
			url: "https://huggingface.co/datasets/openai/gsm8k/resolve/main/main/test.parquet"},
		{name: "hf revision, endpoint and token", source: "hf://org/name/data/test.jsonl@v1.0",
			env: map[string]string{"HF_ENDPOINT": "http://127.0.0.1:9/", "HF_TOKEN": "tok"},
			url: "http://127.0.0.1:9/datasets/org/name/resolve/v1.0/data/test.jsonl", bearer: "tok"},
		{name: "hf revision with slashes", source: "hf://org/name/x.parquet@refs/convert/parquet",
			url: "https://huggingface.co/datasets/org/name/resolve/refs%2Fconvert%2Fparquet/x.parquet"},
		{name: "hf without file", source: "hf://org/name@main", wantErr: "want hf://ORG/NAME/PATH"},
		{name: "hf empty revision", source: "hf://org/name/x.jsonl@", wantErr: "want hf://ORG/NAME/PATH"},
		{name: "unsupported scheme", source: "s3://bucket/x.jsonl", wantErr: `unsupported scheme "s3"`},
		{name: "empty", source: "", wantErr: "source is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Provider{Dir: dir, Env: func(k string) string { return tt.env[k] }}
			src, err := p.resolve(&config.Dataset{Name: "d", Source: tt.source})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got [3]string
			got[0] = src.local
			if src.url != nil {
				got[1] = src.url.String()
			}
			got[2] = src.bearer
			if diff := cmp.Diff([3]string{tt.local, tt.url, tt.bearer}, got); diff != "" {
				t.Errorf("(local, url, bearer) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
