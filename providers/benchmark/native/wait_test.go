package native

import (
	"fmt"
	"testing"
	"time"

	"github.com/evalplan/evalplan/providers/openai"
	"github.com/google/go-cmp/cmp"
)

// TestWaitLogger feeds retry waits to a run's wait logger: waits of a second or more reach
// progress, each distinct message once in a row.
func TestWaitLogger(t *testing.T) {
	st := func(code int, ra time.Duration) error {
		return fmt.Errorf("POST /chat/completions: %w", &openai.StatusError{Code: code, RetryAfter: ra})
	}
	type wait struct {
		d   time.Duration
		err error
	}
	tests := []struct {
		name  string
		waits []wait
		want  []string
	}{
		{"every request told to wait an hour", []wait{
			{time.Minute, st(429, time.Hour)}, {time.Minute, st(429, time.Hour)}, {time.Minute, st(429, time.Hour)},
		}, []string{"waiting 60s: server asked to retry after 3600s (HTTP 429)"}},
		{"short backoffs are not worth a line", []wait{
			{200 * time.Millisecond, st(503, 0)}, {2 * time.Second, st(503, 0)},
		}, []string{"waiting 2s to retry: HTTP 503"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &logProgress{}
			log := waitLogger("benchmark.x", p)
			for _, w := range tt.waits {
				log(w.d, w.err)
			}
			if diff := cmp.Diff(tt.want, p.lines); diff != "" {
				t.Errorf("progress lines (-want +got):\n%s", diff)
			}
		})
	}
}
