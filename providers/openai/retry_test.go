package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRetryable(t *testing.T) {
	status := func(code int) error { return fmt.Errorf("POST /chat/completions: %w", &StatusError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"400", status(400), false},
		{"401", status(401), false},
		{"403", status(403), false},
		{"404", status(404), false},
		{"408", status(408), true},
		{"429", status(429), true},
		{"500", status(500), true},
		{"502", status(502), true},
		{"503", status(503), true},
		{"malformed", fmt.Errorf("x: %w: no choices", ErrMalformed), true},
		{"client timeout", fmt.Errorf("x: %w after 1s", ErrTimeout), true},
		{"deadline", context.DeadlineExceeded, true},
		{"caller cancel", fmt.Errorf("x: %w", context.Canceled), false},
		{"EOF", fmt.Errorf("x: %w", io.EOF), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "nohost", IsNotFound: true}, false},
		{"dns temporary", &net.DNSError{Err: "server misbehaving", Name: "h", IsTemporary: true}, true},
		{"net timeout", &net.DNSError{Err: "i/o timeout", Name: "h", IsTimeout: true}, true},
		{"unknown kind", errors.New(`unknown request kind "x"`), false},
		{"retry error of 503", &RetryError{Attempts: 3, Err: status(503)}, true},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("%s: Retryable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// script is a fake Doer returning errs in turn, then a response.
type script struct {
	errs     []error
	calls    int
	cancel   context.CancelFunc // called on the call numbered cancelOn
	cancelOn int
}

func (s *script) Do(ctx context.Context, req *Request) (*Response, error) {
	s.calls++
	if s.cancel != nil && s.calls == s.cancelOn {
		s.cancel()
	}
	if s.calls <= len(s.errs) {
		return nil, s.errs[s.calls-1]
	}
	return &Response{Text: "ok", Attempts: 1}, nil
}

func TestRetry(t *testing.T) {
	st := func(code int, ra time.Duration) error {
		return fmt.Errorf("POST /chat/completions: %w", &StatusError{Code: code, RetryAfter: ra})
	}
	type outcome struct {
		Calls    int
		Delays   []time.Duration
		Waits    []string
		Attempts int
		Text     string
		Err      string
		Canceled bool
	}
	tests := []struct {
		name         string
		errs         []error
		maxRetries   int
		base, max    time.Duration
		maxAfter     time.Duration // Retry.MaxRetryAfter
		cancelOn     int           // the Doer cancels the context on this call
		cancelInWait bool          // the wait is interrupted by cancellation
		want         outcome
	}{
		{
			name: "429 honours Retry-After", errs: []error{st(429, 2*time.Second)},
			maxRetries: 3, base: time.Millisecond,
			want: outcome{
				Calls: 2, Delays: []time.Duration{2 * time.Second}, Attempts: 2, Text: "ok",
				Waits: []string{"waiting 2s: server asked to retry after 2s (HTTP 429)"},
			},
		},
		{
			name: "Retry-After of an hour is capped", errs: []error{st(429, time.Hour)},
			maxRetries: 3, base: time.Millisecond,
			want: outcome{
				Calls: 2, Delays: []time.Duration{DefaultMaxRetryAfter}, Attempts: 2, Text: "ok",
				Waits: []string{"waiting 60s: server asked to retry after 3600s (HTTP 429)"},
			},
		},
		{
			name: "Retry-After capped at MaxRetryAfter", errs: []error{st(503, 10*time.Minute)},
			maxRetries: 3, base: time.Millisecond, maxAfter: 5 * time.Second,
			want: outcome{
				Calls: 2, Delays: []time.Duration{5 * time.Second}, Attempts: 2, Text: "ok",
				Waits: []string{"waiting 5s: server asked to retry after 600s (HTTP 503)"},
			},
		},
		{
			name: "Retry-After shorter than backoff", errs: []error{st(503, time.Second)},
			maxRetries: 3, base: 10 * time.Second, max: time.Minute,
			want: outcome{
				Calls: 2, Delays: []time.Duration{5 * time.Second}, Attempts: 2, Text: "ok",
				Waits: []string{"waiting 5s to retry: HTTP 503"},
			},
		},
		{
			name:       "exponential with full jitter capped by Max",
			errs:       []error{st(500, 0), st(502, 0), io.ErrUnexpectedEOF, fmt.Errorf("%w", ErrMalformed)},
			maxRetries: 5, base: 100 * time.Millisecond, max: 300 * time.Millisecond,
			want: outcome{
				Calls:    5,
				Delays:   []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond},
				Attempts: 5, Text: "ok",
			},
		},
		{
			name: "defaults", errs: []error{st(503, 0)}, maxRetries: 1,
			want: outcome{Calls: 2, Delays: []time.Duration{DefaultRetryBase / 2}, Attempts: 2, Text: "ok"},
		},
		{
			name: "gives up after MaxRetries", errs: []error{st(500, 0), st(500, 0), st(503, 0), st(500, 0)},
			maxRetries: 2, base: time.Millisecond,
			want: outcome{
				Calls: 3, Delays: []time.Duration{500 * time.Microsecond, time.Millisecond}, Attempts: 3,
				Err: "after 3 attempts: POST /chat/completions: server returned HTTP 503 Service Unavailable",
			},
		},
		{
			name: "no retries configured", errs: []error{st(503, 0)},
			want: outcome{Calls: 1, Attempts: 1, Err: "POST /chat/completions: server returned HTTP 503 Service Unavailable"},
		},
		{
			name: "does not retry 400", errs: []error{st(400, 0)}, maxRetries: 5,
			want: outcome{Calls: 1, Attempts: 1, Err: "POST /chat/completions: server returned HTTP 400 Bad Request"},
		},
		{
			name: "400 after a retry keeps the count", errs: []error{st(429, 0), st(400, 0)}, maxRetries: 5, base: time.Millisecond,
			want: outcome{
				Calls: 2, Delays: []time.Duration{500 * time.Microsecond}, Attempts: 2,
				Err: "after 2 attempts: POST /chat/completions: server returned HTTP 400 Bad Request",
			},
		},
		{
			name: "stops when the context is cancelled", errs: []error{st(503, 0), st(503, 0)},
			maxRetries: 5, base: time.Millisecond, cancelOn: 2,
			want: outcome{
				Calls: 2, Delays: []time.Duration{500 * time.Microsecond}, Attempts: 2, Canceled: true,
				Err: "after 2 attempts: context canceled (last error: POST /chat/completions: server returned HTTP 503 Service Unavailable)",
			},
		},
		{
			name: "stops when cancelled while waiting", errs: []error{st(429, time.Hour)},
			maxRetries: 5, cancelInWait: true,
			want: outcome{
				Calls: 1, Delays: []time.Duration{DefaultMaxRetryAfter}, Attempts: 1, Canceled: true,
				Waits: []string{"waiting 60s: server asked to retry after 3600s (HTTP 429)"},
				Err:   "context canceled while waiting to retry (last error: POST /chat/completions: server returned HTTP 429 Too Many Requests)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			next := &script{errs: tt.errs, cancelOn: tt.cancelOn, cancel: cancel}
			var got outcome
			r := &Retry{
				Next: next, MaxRetries: tt.maxRetries, Base: tt.base, Max: tt.max,
				MaxRetryAfter: tt.maxAfter,
				Rand:          func() float64 { return 0.5 },
				OnWait: func(d time.Duration, err error) {
					if d >= time.Second {
						got.Waits = append(got.Waits, WaitMessage(d, err))
					}
				},
				Sleep: func(ctx context.Context, d time.Duration) error {
					got.Delays = append(got.Delays, d)
					if tt.cancelInWait {
						cancel()
					}
					return ctx.Err()
				},
			}
			resp, err := r.Do(ctx, &Request{Kind: KindChat, Model: "m"})
			got.Calls = next.calls
			if err != nil {
				got.Err = err.Error()
				got.Attempts = Attempts(err)
				got.Canceled = errors.Is(err, context.Canceled)
			} else {
				got.Attempts = resp.Attempts
				got.Text = resp.Text
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if err != nil && strings.Contains(tt.want.Err, "503 ") {
				if se, ok := errors.AsType[*StatusError](err); !ok || se.Code != 503 {
					t.Errorf("errors.AsType[*StatusError](%v) = %v, %v; want code 503", err, se, ok)
				}
			}
		})
	}
}

func TestSleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
}
