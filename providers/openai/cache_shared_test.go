package openai

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestCacheShared: jobs of a cluster share one cache file. Shared Caches open it at the same
// time without waiting for each other, read what was cached before, keep their new entries
// in overlays, and the entries reach the file when the last of them closes; a Cache opened
// alone merges overlays left behind.
func TestCacheShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.bbolt")
	ctx := context.Background()
	ask := func(c *Cache, next *echo, prompts ...string) {
		t.Helper()
		d := &Cached{Next: next, Cache: c, Namespace: nsA}
		for _, p := range prompts {
			if _, err := d.Do(ctx, chat(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := openTestCache(t, path, CacheOptions{})
	ask(before, &echo{}, "old")
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	// Two jobs at once: neither waits (LockWait would fail the second open otherwise).
	a := openTestCache(t, path, CacheOptions{Shared: true, LockWait: 200 * time.Millisecond})
	b := openTestCache(t, path, CacheOptions{Shared: true, LockWait: 200 * time.Millisecond})
	nextA, nextB := &echo{}, &echo{}
	ask(a, nextA, "old", "a1", "a2")
	ask(b, nextB, "old", "b1", "a1")
	if nextA.calls.Load() != 2 || nextB.calls.Load() != 2 {
		t.Errorf("model asked %d and %d times, want 2 and 2 (the old entry is read through the shared lock)", nextA.calls.Load(), nextB.calls.Load())
	}
	// A Cache that needs the file alone waits while they read.
	if _, err := OpenCache(path, CacheOptions{LockWait: 50 * time.Millisecond}); !errors.Is(err, ErrCacheLocked) {
		t.Errorf("exclusive open while shared readers hold the file: %v, want ErrCacheLocked", err)
	}
	if err := b.Close(); err != nil { // a still reads: b's overlay stays
		t.Fatal(err)
	}
	if got := overlays(t, path); got != 2 {
		t.Errorf("%d overlays after the first close, want 2", got)
	}
	if err := a.Close(); err != nil { // the last reader merges both
		t.Fatal(err)
	}
	if got := overlays(t, path); got != 0 {
		t.Errorf("%d overlays after the last close, want 0", got)
	}
	after := openTestCache(t, path, CacheOptions{})
	defer after.Close()
	next := &echo{}
	ask(after, next, "old", "a1", "a2", "b1")
	if n := next.calls.Load(); n != 0 {
		t.Errorf("model asked %d times after the merge, want 0", n)
	}
}

// TestCacheSharedLeftOverlay: an overlay a job could not merge (another job still read the
// file when it closed) is merged by the next Cache that opens the file alone.
func TestCacheSharedLeftOverlay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.bbolt")
	reader := openTestCache(t, path, CacheOptions{Shared: true})
	job := openTestCache(t, path, CacheOptions{Shared: true})
	d := &Cached{Next: &echo{}, Cache: job, Namespace: nsA}
	for i := range 10 {
		if _, err := d.Do(context.Background(), chat(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := job.Close(); err != nil {
		t.Fatal(err)
	}
	// The reader goes away without merging (as a killed job would).
	reader.db.Close()
	reader.wdb.Close()
	if got := overlays(t, path); got != 2 {
		t.Fatalf("%d overlays, want 2", got)
	}
	c := openTestCache(t, path, CacheOptions{})
	defer c.Close()
	if got := overlays(t, path); got != 0 {
		t.Errorf("%d overlays after an exclusive open, want 0", got)
	}
	next := &echo{}
	d = &Cached{Next: next, Cache: c, Namespace: nsA}
	for i := range 10 {
		if _, err := d.Do(context.Background(), chat(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := next.calls.Load(); n != 0 {
		t.Errorf("model asked %d times, want 0", n)
	}
}

func overlays(t *testing.T, path string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(overlayDir(path), "*.bbolt"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}
