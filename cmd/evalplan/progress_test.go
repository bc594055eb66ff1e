package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLinesWaiting prints the periodic line of a run: one whose every request waits says
// what for, not "0.0 req/s, ETA 0s".
func TestLinesWaiting(t *testing.T) {
	const addr = "benchmark.gsm8k"
	tests := []struct {
		name string
		do   func(p *lines)
		want string
	}{
		{"nothing done yet", func(p *lines) {}, "benchmark.gsm8k: 0/10, 0 errors, no answer yet\n"},
		{"every request waiting", func(p *lines) {
			p.Log(addr, "waiting 60s: server asked to retry after 3600s (HTTP 429)")
		}, "benchmark.gsm8k: 0/10, 0 errors, waiting 60s: server asked to retry after 3600s (HTTP 429)\n"},
		{"waiting after some progress", func(p *lines) {
			p.Add(addr, 3, 1, 0)
			p.Log(addr, "waiting 5s to retry: HTTP 503")
		}, "benchmark.gsm8k: 3/10, 1 errors, waiting 5s to retry: HTTP 503\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newLines(&buf, time.Hour)
			defer p.Stop()
			p.Total(addr, 10)
			tt.do(p)
			buf.Reset()
			p.print()
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("progress line (-want +got):\n%s", diff)
			}
		})
	}
}
