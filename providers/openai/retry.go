package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Retryable reports whether err is worth sending the request again: HTTP 408, 429 and
// 5xx, connection failures (refused, reset, EOF), timeouts and malformed 2xx bodies. Client
// errors such as 400, 401, 403 and 404 are not, and neither is cancellation by the caller.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok {
		return !de.IsNotFound
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	return false
}

// Retry is a Doer that sends again what fails with a Retryable error, up to MaxRetries
// times, waiting with exponential backoff and full jitter (a uniform wait in [0, min(Max,
// Base·2^n))), or the server's Retry-After when that is longer. Response.Attempts counts
// every attempt. It is safe for concurrent use when Next, Rand and Sleep are.
type Retry struct {
	Next Doer
	// MaxRetries is how many times a request is sent again; 0 sends it once.
	MaxRetries int
	// Base is the first backoff ceiling (default 500ms); Max caps it (default 30s).
	Base, Max time.Duration
	// Rand returns a number in [0, 1); default math/rand/v2's Float64.
	Rand func() float64
	// Sleep waits d or until ctx is done, returning ctx's error then; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetryAfter caps the server's Retry-After (default 60s): a server asking for an
	// hour is asked again after the cap, and the retries left decide the rest.
	MaxRetryAfter time.Duration
	// OnWait, when set, is told of every wait before a retry, with the error that caused
	// it; WaitMessage says it in words. It must not block.
	OnWait func(d time.Duration, err error)
}

// Default backoff bounds of Retry.
const (
	DefaultRetryBase = 500 * time.Millisecond
	DefaultRetryMax  = 30 * time.Second
	// DefaultMaxRetryAfter is Retry.MaxRetryAfter's default.
	DefaultMaxRetryAfter = 60 * time.Second
)

// RetryError is the error of a request that was sent more than once; Attempts says how
// many times.
type RetryError struct {
	Attempts int
	Err      error
}

// Error implements error.
func (e *RetryError) Error() string {
	return fmt.Sprintf("after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *RetryError) Unwrap() error { return e.Err }

// Attempts returns how many attempts err records: RetryError's count, else 1 for a
// non-nil error and 0 for nil.
func Attempts(err error) int {
	if re, ok := errors.AsType[*RetryError](err); ok {
		return re.Attempts
	}
	if err != nil {
		return 1
	}
	return 0
}

// Do implements Doer.
func (r *Retry) Do(ctx context.Context, req *Request) (*Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := r.Next.Do(ctx, req)
		if err == nil {
			resp.Attempts = attempt
			return resp, nil
		}
		if !Retryable(err) || attempt > r.MaxRetries {
			return nil, withAttempts(attempt, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, withAttempts(attempt, fmt.Errorf("%w (last error: %w)", cerr, err))
		}
		d := r.delay(attempt, err)
		if r.OnWait != nil {
			r.OnWait(d, err)
		}
		if serr := r.sleep(ctx, d); serr != nil {
			return nil, withAttempts(attempt, fmt.Errorf("%w while waiting to retry (last error: %w)", serr, err))
		}
	}
}

func withAttempts(n int, err error) error {
	if n == 1 {
		return err
	}
	return &RetryError{Attempts: n, Err: err}
}

// delay is the wait before attempt+1: full jitter over the exponential ceiling, or the
// server's Retry-After (capped at MaxRetryAfter) when longer.
func (r *Retry) delay(attempt int, err error) time.Duration {
	base, ceil := r.Base, r.Max
	if base <= 0 {
		base = DefaultRetryBase
	}
	if ceil <= 0 {
		ceil = DefaultRetryMax
	}
	d := ceil
	if shift := attempt - 1; shift < 62 && base < ceil>>shift {
		d = base << shift
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	d = time.Duration(rnd() * float64(d))
	if se, ok := errors.AsType[*StatusError](err); ok && se.RetryAfter > d {
		d = min(se.RetryAfter, r.maxRetryAfter())
	}
	return d
}

func (r *Retry) maxRetryAfter() time.Duration {
	if r.MaxRetryAfter > 0 {
		return r.MaxRetryAfter
	}
	return DefaultMaxRetryAfter
}

// WaitMessage says why a request waits d before its next attempt after err, for progress
// lines: "waiting 60s: server asked to retry after 3600s (HTTP 429)", or "waiting 2s to
// retry: <err>" for a backoff.
func WaitMessage(d time.Duration, err error) string {
	wait := seconds(d)
	if se, ok := errors.AsType[*StatusError](err); ok {
		if se.RetryAfter > 0 && d <= se.RetryAfter {
			return fmt.Sprintf("waiting %s: server asked to retry after %s (HTTP %d)", wait, seconds(se.RetryAfter), se.Code)
		}
		return fmt.Sprintf("waiting %s to retry: HTTP %d", wait, se.Code)
	}
	return fmt.Sprintf("waiting %s to retry: %v", wait, err)
}

func (r *Retry) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits d or until ctx is done, whichever comes first, and returns ctx's error in
// the second case. It is Retry's default.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// seconds writes d as whole seconds ("3600s"), or milliseconds below a second.
func seconds(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%ds", int64(d.Round(time.Second)/time.Second))
}
