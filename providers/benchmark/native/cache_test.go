package native

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
)

// logProgress records Log lines and calls onLog, if set, with each.
type logProgress struct {
	mu    sync.Mutex
	lines []string
	onLog func(msg string)
}

func (p *logProgress) Total(string, int64)             {}
func (p *logProgress) Add(string, int64, int64, int64) {}
func (p *logProgress) Log(_ string, msg string) {
	p.mu.Lock()
	p.lines = append(p.lines, msg)
	p.mu.Unlock()
	if p.onLog != nil {
		p.onLog(msg)
	}
}

func (p *logProgress) has(sub string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// TestCacheUnusable runs with a response cache that cannot be used: the run completes
// without it, every sample asked of the server, and progress warns with the reason.
func TestCacheUnusable(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	s := startSim(t, simConfig(data))
	tests := []struct {
		name string
		// setup returns the cache_dir and what to release after the run.
		setup    func(t *testing.T) (string, func())
		wantWarn string
	}{
		{"damaged file", func(t *testing.T) (string, func()) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "responses.bbolt"), []byte(strings.Repeat("garbage!", 8192)), 0o600); err != nil {
				t.Fatal(err)
			}
			return dir, func() {}
		}, "move it aside or apply with -no-cache"},
		{"cache_dir is a file", func(t *testing.T) (string, func()) {
			f := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(f, "cache"), func() {}
		}, "running without the response cache"},
		{"read-only cache_dir", func(t *testing.T) (string, func()) {
			if os.Geteuid() == 0 {
				t.Skip("root writes into read-only directories")
			}
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o555); err != nil {
				t.Fatal(err)
			}
			return dir, func() { os.Chmod(dir, 0o755) }
		}, "running without the response cache"},
		{"held by another runner past CacheWait", func(t *testing.T) (string, func()) {
			dir := t.TempDir()
			other := &Runner{}
			if _, err := other.responseCache(context.Background(), "other", dir, plan.NopProgress{}); err != nil {
				t.Fatal(err)
			}
			return dir, func() { other.Close() }
		}, "in use by another evalplan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cacheDir, release := tt.setup(t)
			defer release()
			spec := simSpec(filepath.Join(t.TempDir(), "run"), s.URL, data, config.Params{Parallelism: ptr(4)})
			spec.CacheDir = cacheDir
			r := &Runner{CacheWait: 1}
			defer r.Close()
			p := &logProgress{}
			before := s.Count(sim.RouteChat)
			out, err := r.Run(context.Background(), spec, p)
			if err != nil || out.Status != state.StatusComplete {
				t.Fatalf("run: %+v, %v; want complete", out, err)
			}
			if n := s.Count(sim.RouteChat) - before; n != harnessSamples {
				t.Errorf("sent %d requests, want %d", n, harnessSamples)
			}
			if !p.has(tt.wantWarn) {
				t.Errorf("progress lines %q; want a warning containing %q", p.lines, tt.wantWarn)
			}
		})
	}
}

// TestCacheSharedWaits runs two runners on one cache_dir: the second waits for the first,
// says so, and uses the cache once the first lets go, instead of failing after a second.
func TestCacheSharedWaits(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	s := startSim(t, simConfig(data))
	cacheDir := t.TempDir()
	first := &Runner{}
	spec := simSpec(filepath.Join(t.TempDir(), "run1"), s.URL, data, config.Params{Parallelism: ptr(4)})
	spec.CacheDir = cacheDir
	out, err := first.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("first run: %+v, %v", out, err)
	}
	// first still holds the cache file; the second run closes it when it starts waiting.
	var once sync.Once
	p := &logProgress{onLog: func(msg string) {
		if strings.Contains(msg, "held by another evalplan") {
			once.Do(func() { go first.Close() })
		}
	}}
	second := &Runner{}
	defer second.Close()
	spec.RunDir = filepath.Join(t.TempDir(), "run2")
	before := s.Count(sim.RouteChat)
	out, err = second.Run(context.Background(), spec, p)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("second run: %+v, %v", out, err)
	}
	if diff := cmp.Diff(int64(0), s.Count(sim.RouteChat)-before); diff != "" {
		t.Errorf("second run's requests (-want +got):\n%s", diff)
	}
	if !p.has("waiting up to") {
		t.Errorf("progress lines %q; want a waiting line", p.lines)
	}
}
