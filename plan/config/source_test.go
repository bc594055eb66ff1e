package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSourceScheme(t *testing.T) {
	type result struct {
		Scheme string
		Local  bool
	}
	tests := []struct {
		src  string
		want result
	}{
		{"data/qa.jsonl", result{"", true}},
		{"/abs/data/*.jsonl", result{"", true}},
		{`C:\data\qa.jsonl`, result{"", true}},
		{"file:///data/qa.jsonl", result{"file", true}},
		{"FILE:///data/qa.jsonl", result{"FILE", true}},
		{"https://example.com/qa.jsonl", result{"https", false}},
		{"hf://openai/gsm8k/main/test.parquet@main", result{"hf", false}},
		{"s3+x.y-z://bucket/qa.jsonl", result{"s3+x.y-z", false}},
		{"://no-scheme", result{"", true}},
		{"1a://digit-first", result{"", true}},
		{"dir/x://not-a-scheme", result{"", true}},
		{"mailto:someone", result{"", true}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := result{SourceScheme(tt.src), IsLocalSource(tt.src)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SourceScheme, IsLocalSource mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
