package container_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/benchmark/container"
	"github.com/evalplan/evalplan/providers/benchmark/native"
	"github.com/evalplan/evalplan/providers/container/containertest"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/providers/proxy"
)

// counting is a logs Progress that also sums Add.
type counting struct {
	logs
	mu               sync.Mutex
	done, errs, toks int64
}

func (c *counting) Add(_ string, n, errs, tokens int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done += n
	c.errs += errs
	c.toks += tokens
}

// TestRunnerSendsEveryRequestThroughEvalplan runs the stand-in evaluator twice through the
// native runner's request stack: the container holds only the local endpoint and its token,
// the simulator (which requires the real key) gets every request from evalplan, each is
// journaled, and the second run is answered from the response cache.
func TestRunnerSendsEveryRequestThroughEvalplan(t *testing.T) {
	f := newFixture(t)
	s, url := simulator(t, 1, "model-a")
	ref := f.push(t, "test", containertest.ImageOptions{})
	sp, cfg := spec(t, url, ref, config.Params{LimitSamples: ptr(4.0), Temperature: ptr(0.0)})
	sp.CacheDir = t.TempDir()
	nr := &native.Runner{Limiters: &openai.Limiters{}}
	t.Cleanup(func() { nr.Close() })
	r := &container.Runner{Docker: f.docker, Config: cfg, Requests: nr.Requests}

	run := func(want int64) *counting {
		t.Helper()
		progress := &counting{}
		out, err := r.Run(context.Background(), sp, progress)
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != state.StatusComplete || out.Result.Score != 1 || out.Result.N != 4 {
			t.Fatalf("outcome %s %s: %+v", out.Status, out.Error, out.Result)
		}
		if got := s.Count(sim.RouteChat); got != want {
			t.Errorf("the simulator answered %d chat requests, want %d", got, want)
		}
		return progress
	}
	first := run(4)
	if first.done != 4 || first.errs != 0 || first.toks == 0 {
		t.Errorf("progress of the first run: done %d errs %d tokens %d", first.done, first.errs, first.toks)
	}
	if text := first.text(); !strings.Contains(text, "4 request(s) to sim through evalplan: 0 from the response cache or an earlier attempt, 0 failed") {
		t.Errorf("progress lines:\n%s", text)
	}
	// A second apply, the output directory gone: the answers come from the cache. (Deleting
	// it also keeps the first attempt's samples file, less than a second old, from being
	// counted again.)
	if err := os.RemoveAll(sp.RunDir); err != nil {
		t.Fatal(err)
	}
	second := run(4)
	if text := second.text(); !strings.Contains(text, "4 request(s) to sim through evalplan: 4 from the response cache or an earlier attempt") {
		t.Errorf("progress lines of the second run:\n%s", text)
	}

	rc, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.ContainerConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rc), url) || !strings.Contains(string(rc), "url: http://127.0.0.1:") {
		t.Errorf("run config names the real endpoint, or not the local one:\n%s", rc)
	}
	for _, name := range []string{rundir.ContainerConfigFile, rundir.ContainerLogFile, rundir.RequestsFile} {
		b, _ := os.ReadFile(filepath.Join(sp.RunDir, name))
		if bytes.Contains(b, []byte("test-key")) {
			t.Errorf("%s holds the real key", name)
		}
	}
	j, err := os.ReadFile(filepath.Join(sp.RunDir, rundir.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	var entries []proxy.Entry
	sc := bufio.NewScanner(bytes.NewReader(j))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e proxy.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %s: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	if len(entries) != 4 {
		t.Fatalf("journal has %d lines, want 4:\n%s", len(entries), j)
	}
	for i, e := range entries {
		if e.Status != 200 || e.Reply == "" || e.Path != "/v1/chat/completions" || !e.Cached || len(e.Request) == 0 {
			t.Errorf("journal line %d: %+v", i, e)
		}
	}
}
