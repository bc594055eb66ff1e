package native

// End-to-end tests of the harness: the real Runner, its default request stack (cache →
// retry → adaptive limit → HTTP client) and the simulated model server of
// cmd/evalplan-sim/sim, served by httptest on 127.0.0.1. They pin DESIGN §7's promises:
// faults end as retried answers or as journaled errors (never scored), resume requests only
// what is missing, the cache costs zero requests, one limiter bounds every run against an
// endpoint.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/cmd/evalplan-sim/sim"
	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
)

// harnessSamples is the size of the synthetic GSM8K dataset of the end-to-end tests.
const harnessSamples = 100

// writeGSM8K writes n synthetic GSM8K records ({question, answer ending in "#### N"}, of
// the real split's length) to dir/gsm8k.jsonl and returns the path. Every question is
// distinct, so the simulator recognises each one.
func writeGSM8K(t testing.TB, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "gsm8k.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	enc := json.NewEncoder(w)
	names := []string{"Ava", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana"}
	for i := range n {
		name := names[i%len(names)]
		boxes, per, given := 2+i%17, 3+i%11, i%13
		packed := boxes * per
		q := fmt.Sprintf("%s is sorting pencils for the school fair number %d. %s packs %d boxes with %d pencils "+
			"in each box, and then gives %d pencils to a friend who forgot theirs. The rest are sold at the "+
			"fair for 25 cents each. How many pencils does %s have left to sell?", name, i, name, boxes, per, given, name)
		a := fmt.Sprintf("%s packs %d * %d = <<%d*%d=%d>>%d pencils.\nAfter giving %d away, %s has %d - %d = <<%d-%d=%d>>%d pencils left.\n#### %d",
			name, boxes, per, boxes, per, packed, packed, given, name, packed, given, packed, given, packed-given, packed-given, packed-given)
		if err := enc.Encode(map[string]string{"question": q, "answer": a}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// simulator is a simulated model server on 127.0.0.1.
type simulator struct {
	*sim.Server
	ts  *httptest.Server
	URL string // base URL ending in /v1
}

// startSim serves cfg until the end of the test (or close).
func startSim(t testing.TB, cfg sim.Config) *simulator {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	sm := &simulator{Server: s, ts: ts, URL: ts.URL + "/v1"}
	t.Cleanup(sm.close)
	return sm
}

// simConfig is the simulator's default configuration recognising data, with a fixed seed.
func simConfig(data string) sim.Config {
	cfg := sim.DefaultConfig()
	cfg.Datasets = []string{data}
	cfg.Seed = 7
	return cfg
}

// close releases hung requests and stops the server, waiting for every handler, so that
// the counters are final.
func (s *simulator) close() {
	s.Server.Close()
	s.ts.Close()
}

// simSpec is a native.gsm8k run of data against the simulator at url.
func simSpec(runDir, url, data string, p config.Params) *plan.RunSpec {
	spec := newSpec(runDir, p)
	spec.Endpoint = &config.Endpoint{Name: "sim", Model: sim.DefaultModel, Type: "chat", URL: url}
	spec.Fingerprint = plan.Fingerprint{Model: sim.DefaultModel, Type: "chat"}
	spec.Dataset = plan.DatasetFile{Path: data}
	return spec
}

// reference is a fault-free run's results.json and its per-sample answers.
type reference struct {
	results []byte
	samples map[string]scored
}

// scored is what a sample's answer came to; latency and attempts are left out.
type scored struct {
	Response  string
	Extracted map[string]*string
	Score     map[string]float64
	Usage     rundir.Usage
}

// lastLines reads a run directory's journal: each id's last line.
func lastLines(t *testing.T, dir string) map[string]*rundir.Record {
	t.Helper()
	m := map[string]*rundir.Record{}
	for _, r := range readRecords(t, dir) {
		m[r.ID] = r
	}
	return m
}

// answers is the scored form of a journal's answered samples.
func answers(recs map[string]*rundir.Record) map[string]scored {
	m := map[string]scored{}
	for id, r := range recs {
		if r.Error == nil && r.Response != nil {
			m[id] = scored{Response: *r.Response, Extracted: r.Extracted, Score: r.Score, Usage: r.Usage}
		}
	}
	return m
}

// referenceRun runs data against a fault-free simulator.
func referenceRun(t *testing.T, data string) reference {
	t.Helper()
	s := startSim(t, simConfig(data))
	dir := t.TempDir()
	out, err := (&Runner{}).Run(context.Background(), simSpec(dir, s.URL, data, config.Params{Parallelism: ptr(16)}), nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("reference run: %+v, %v", out, err)
	}
	ref := reference{results: readFile(t, filepath.Join(dir, rundir.ResultsFile)), samples: answers(lastLines(t, dir))}
	if len(ref.samples) != harnessSamples || out.Result.Score == 0 || out.Result.Score == 1 {
		t.Fatalf("reference run answered %d samples with score %v; want %d and a score strictly between 0 and 1",
			len(ref.samples), out.Result.Score, harnessSamples)
	}
	return ref
}

// checkSameAsReference compares a run directory with the reference run.
func checkSameAsReference(t *testing.T, ref reference, dir string) {
	t.Helper()
	if diff := cmp.Diff(string(ref.results), string(readFile(t, filepath.Join(dir, rundir.ResultsFile)))); diff != "" {
		t.Errorf("results.json differs from the fault-free run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ref.samples, answers(lastLines(t, dir))); diff != "" {
		t.Errorf("answers differ from the fault-free run (-want +got):\n%s", diff)
	}
}

// TestFaults injects each fault of the simulator into a 100-sample GSM8K run. With enough
// retries every sample is answered exactly as in a fault-free run, and the server saw one
// request per attempt. Without retries the failed samples are journaled with their reason
// and one attempt, the run is partial, results.json counts them as errors and scores only
// the answered ones; resuming requests exactly the failed samples and completes the run.
func TestFaults(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	ref := referenceRun(t, data)
	tests := []struct {
		name    string
		faults  sim.Faults
		kinds   []string
		timeout float64 // request_timeout; 0 for the default
		reason  []string
	}{
		{name: "429", faults: sim.Faults{Rate429: 0.25}, kinds: []string{sim.Fault429}, reason: []string{"HTTP 429"}},
		{name: "429 retry-after 1s", faults: sim.Faults{Rate429: 0.04, RetryAfter: 1}, kinds: []string{sim.Fault429}, reason: []string{"HTTP 429"}},
		{name: "500", faults: sim.Faults{Rate500: 0.25}, kinds: []string{sim.Fault500}, reason: []string{"HTTP 500"}},
		{name: "hang", faults: sim.Faults{RateHang: 0.2}, kinds: []string{sim.FaultHang}, timeout: 0.3, reason: []string{"request timed out after 300ms"}},
		{name: "malformed", faults: sim.Faults{RateMalformed: 0.25}, kinds: []string{sim.FaultMalformed}, reason: []string{"malformed response"}},
		{name: "drop", faults: sim.Faults{RateDrop: 0.25}, kinds: []string{sim.FaultDrop}, reason: []string{"EOF"}},
		{name: "empty", faults: sim.Faults{RateEmpty: 0.25}, kinds: []string{sim.FaultEmpty}, reason: []string{"no answer: choice has no content"}},
		{
			name:    "all",
			faults:  sim.Faults{Rate429: 0.05, Rate500: 0.05, RateHang: 0.05, RateMalformed: 0.05, RateDrop: 0.05, RateEmpty: 0.05},
			kinds:   []string{sim.Fault429, sim.Fault500, sim.FaultHang, sim.FaultMalformed, sim.FaultDrop, sim.FaultEmpty},
			timeout: 0.3,
			reason:  []string{"HTTP 429", "HTTP 500", "request timed out", "malformed response", "EOF"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			params := config.Params{Parallelism: ptr(16)}
			if tt.timeout > 0 {
				params.RequestTimeout = ptr(tt.timeout)
			}
			t.Run("retried", func(t *testing.T) {
				t.Parallel()
				p := params
				p.MaxRetries = ptr(20)
				faultRetried(t, ref, data, tt.faults, tt.kinds, p)
			})
			t.Run("journaled then resumed", func(t *testing.T) {
				t.Parallel()
				p := params
				p.MaxRetries = ptr(0)
				faultResumed(t, ref, data, tt.faults, tt.reason, p)
			})
		})
	}
}

// faultRetried runs with retries through faults: every sample answered as in ref.
func faultRetried(t *testing.T, ref reference, data string, faults sim.Faults, kinds []string, p config.Params) {
	cfg := simConfig(data)
	cfg.Faults = faults
	s := startSim(t, cfg)
	dir := t.TempDir()
	out, err := (&Runner{}).Run(context.Background(), simSpec(dir, s.URL, data, p), nil)
	if err != nil || out.Status != state.StatusComplete || out.Result.N != harnessSamples || out.Result.Errors != 0 {
		t.Fatalf("run: %+v (result %+v), %v; want complete with %d samples", out, out.Result, err, harnessSamples)
	}
	checkSameAsReference(t, ref, dir)
	s.close()
	attempts, retried := 0, 0
	for _, r := range lastLines(t, dir) {
		attempts += r.Attempts
		if r.Attempts > 1 {
			retried++
		}
	}
	for _, k := range kinds {
		if s.FaultCount(k) == 0 {
			t.Errorf("no %s fault was injected; raise the rate", k)
		}
	}
	if retried == 0 {
		t.Errorf("no sample records more than one attempt")
	}
	if got := s.Count(sim.RouteChat); got != int64(attempts) {
		t.Errorf("server saw %d requests; the journal records %d attempts", got, attempts)
	}
}

// faultResumed runs without retries through faults limited to the first round of
// requests, checks the errors, then resumes.
func faultResumed(t *testing.T, ref reference, data string, faults sim.Faults, reasons []string, p config.Params) {
	cfg := simConfig(data)
	cfg.Faults = faults
	cfg.Faults.First = harnessSamples // the resumed requests are answered
	s := startSim(t, cfg)
	dir := t.TempDir()
	r := &Runner{}
	spec := simSpec(dir, s.URL, data, p)
	out, err := r.Run(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := lastLines(t, dir)
	failed := map[string]bool{}
	var sum float64
	for id, rec := range recs {
		if rec.Error == nil {
			sum += ref.samples[id].Score["flexible_extract"]
			if diff := cmp.Diff(ref.samples[id], answers(map[string]*rundir.Record{id: rec})[id]); diff != "" {
				t.Errorf("answered sample %s differs from the fault-free run (-want +got):\n%s", id, diff)
			}
			continue
		}
		failed[id] = true
		if !containsAny(*rec.Error, reasons) || rec.Attempts != 1 || rec.Response != nil || len(rec.Score) != 0 || len(rec.Extracted) != 0 {
			t.Errorf("failed sample %s: error %q, attempts %d, response %v, score %v, extracted %v; want a reason among %q, 1 attempt, nothing scored",
				id, *rec.Error, rec.Attempts, rec.Response, rec.Score, rec.Extracted, reasons)
		}
	}
	n := harnessSamples - len(failed)
	res := out.Result
	switch {
	case len(recs) != harnessSamples:
		t.Fatalf("journal holds %d samples, want %d", len(recs), harnessSamples)
	case len(failed) == 0:
		t.Fatalf("no sample failed; raise the fault rate")
	case out.Status != state.StatusPartial || !strings.Contains(out.Error, fmt.Sprintf("%d of %d samples failed", len(failed), harnessSamples)):
		t.Errorf("outcome %q %q, want partial with %d of %d samples failed", out.Status, out.Error, len(failed), harnessSamples)
	case res.N != n || res.Errors != len(failed) || res.Metrics["flexible_extract"].N != n || math.Abs(res.Score-sum/float64(n)) > 1e-12:
		t.Errorf("result n=%d errors=%d metric n=%d score=%v; want n=%d errors=%d score=%v (the answered samples only)",
			res.N, res.Errors, res.Metrics["flexible_extract"].N, res.Score, n, len(failed), sum/float64(n))
	}
	var onDisk result.Result
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, rundir.ResultsFile)), &onDisk); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, &onDisk); diff != "" {
		t.Errorf("results.json differs from the outcome (-outcome +file):\n%s", diff)
	}

	// Resume: only the failed samples are requested, and the run completes as a fault-free one.
	before := s.CountCode(sim.RouteChat, 200)
	out, err = r.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("resume: %+v, %v", out, err)
	}
	if got := s.CountCode(sim.RouteChat, 200) - before; got != int64(len(failed)) {
		t.Errorf("resume answered %d requests, want %d (the failed samples)", got, len(failed))
	}
	checkSameAsReference(t, ref, dir)
	s.close()
	if got, want := s.Count(sim.RouteChat), int64(harnessSamples+len(failed)); got != want {
		t.Errorf("server saw %d requests in all, want %d", got, want)
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// cancelAfter is a Progress that cancels a context once n samples are journaled (the
// runner reports a sample after its journal line is written).
type cancelAfter struct {
	n      int64
	cancel context.CancelFunc

	mu   sync.Mutex
	done int64
}

func (p *cancelAfter) Total(string, int64) {}
func (p *cancelAfter) Log(string, string)  {}
func (p *cancelAfter) Add(_ string, n, _, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.done >= p.n {
		p.cancel()
	}
}

// TestResumeAfterCancel cancels a run after 40 journaled samples; the next run completes
// it, and the server saw at most samples + parallelism requests in all.
func TestResumeAfterCancel(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	ref := referenceRun(t, data)
	cfg := simConfig(data)
	cfg.Latency = 5 * time.Millisecond // requests are in flight when the run is cancelled
	s := startSim(t, cfg)
	const parallelism = 8
	dir := t.TempDir()
	spec := simSpec(dir, s.URL, data, config.Params{Parallelism: ptr(parallelism)})
	r := &Runner{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := r.Run(ctx, spec, &cancelAfter{n: 40, cancel: cancel})
	if !errors.Is(err, context.Canceled) || out.Status != state.StatusPartial {
		t.Fatalf("cancelled run: %+v, %v; want partial and context.Canceled", out, err)
	}
	journaled := len(lastLines(t, dir))
	if journaled < 40 || journaled >= harnessSamples {
		t.Fatalf("%d samples journaled; want 40 or a few more", journaled)
	}
	// The resume talks to a second, identical server, so cancelled requests the first one is
	// still answering cannot blur the resume's count.
	s2 := startSim(t, cfg)
	spec.Endpoint.URL = s2.URL
	out, err = r.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("resume: %+v, %v", out, err)
	}
	if got := s2.CountCode(sim.RouteChat, 200); got != int64(harnessSamples-journaled) {
		t.Errorf("resume answered %d requests, want %d (the samples not journaled)", got, harnessSamples-journaled)
	}
	checkSameAsReference(t, ref, dir)
	s.close()
	s2.close()
	if got := s.Count(sim.RouteChat) + s2.Count(sim.RouteChat); got > harnessSamples+parallelism {
		t.Errorf("servers saw %d requests, want at most samples + parallelism = %d", got, harnessSamples+parallelism)
	}
}

// childEnv names the environment variable that makes TestHarnessChild run a spec.
const childEnv = "EVALPLAN_HARNESS_CHILD"

// childJob is what a child process runs: one spec, printing "sample" after each journaled
// sample when Report is set and, at the end, "status STATUS ERROR" and "vmhwm KB".
type childJob struct {
	Spec   *plan.RunSpec
	Report bool
}

// TestHarnessChild is not a test: it is the child process of TestResumeAfterKill and of
// the peak-memory benchmark, run by re-executing the test binary.
func TestHarnessChild(t *testing.T) {
	v := os.Getenv(childEnv)
	if v == "" {
		t.Skip("helper process of TestResumeAfterKill and BenchmarkHarnessPeakRSS")
	}
	var job childJob
	if err := json.Unmarshal([]byte(v), &job); err != nil {
		t.Fatal(err)
	}
	var progress plan.Progress = plan.NopProgress{}
	if job.Report {
		progress = &printProgress{w: os.Stdout}
	}
	out, err := (&Runner{}).Run(context.Background(), job.Spec, progress)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("status %s %s\n", out.Status, out.Error)
	if hwm, err := vmHWM(); err == nil {
		fmt.Printf("vmhwm %d\n", hwm)
	}
}

// printProgress writes "sample" per finished sample.
type printProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printProgress) Total(string, int64) {}
func (p *printProgress) Log(string, string)  {}
func (p *printProgress) Add(_ string, n, _, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		fmt.Fprintln(p.w, "sample")
	}
}

// vmHWM is the process's peak resident set in KiB (Linux).
func vmHWM() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			_, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb)
			return kb, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// childCommand is the test binary re-executed to run job in TestHarnessChild.
func childCommand(t testing.TB, job childJob) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHarnessChild$", "-test.count=1", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	return cmd
}

// TestResumeAfterKill kills (SIGKILL) a run in another process after 30 journaled
// samples: nothing written is lost, the next run requests only the missing samples, and
// the server saw at most samples + parallelism requests in all.
func TestResumeAfterKill(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	ref := referenceRun(t, data)
	cfg := simConfig(data)
	cfg.Latency = 5 * time.Millisecond
	s := startSim(t, cfg)
	const parallelism = 8
	dir := t.TempDir()
	spec := simSpec(dir, s.URL, data, config.Params{Parallelism: ptr(parallelism)})
	cmd := childCommand(t, childJob{Spec: spec, Report: true})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	reported := 0
	for reported < 30 && sc.Scan() {
		if sc.Text() == "sample" {
			reported++
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err == nil {
		t.Fatalf("child finished before it was killed (%d samples reported)", reported)
	}
	if reported < 30 {
		t.Fatalf("child reported %d samples before it ended, want 30", reported)
	}
	journaled := len(lastLines(t, dir))
	if journaled < reported {
		t.Fatalf("journal holds %d samples after kill -9, but %d were reported done", journaled, reported)
	}
	// The resume talks to a second, identical server (the URL is not part of the identity),
	// so requests the killed child still had in flight cannot blur the resume's count.
	s2 := startSim(t, cfg)
	spec.Endpoint.URL = s2.URL
	out, err := (&Runner{}).Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("resume: %+v, %v", out, err)
	}
	if got := s2.CountCode(sim.RouteChat, 200); got != int64(harnessSamples-journaled) {
		t.Errorf("resume answered %d requests, want %d (the samples not journaled)", got, harnessSamples-journaled)
	}
	checkSameAsReference(t, ref, dir)
	s.close()
	s2.close()
	if got := s.Count(sim.RouteChat) + s2.Count(sim.RouteChat); got > harnessSamples+parallelism {
		t.Errorf("servers saw %d requests, want at most samples + parallelism = %d", got, harnessSamples+parallelism)
	}
}

// TestCacheEndToEnd runs, deletes the run directory and runs again with the same cache
// directory in a new runner (a new process, as far as the cache knows): zero requests and
// the same results.json. -no-cache and cache = false request again.
func TestCacheEndToEnd(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	s := startSim(t, simConfig(data))
	cacheDir := filepath.Join(t.TempDir(), "cache")
	runDir := filepath.Join(t.TempDir(), "run")
	run := func(t *testing.T, edit func(*plan.RunSpec)) []byte {
		t.Helper()
		if err := os.RemoveAll(runDir); err != nil {
			t.Fatal(err)
		}
		spec := simSpec(runDir, s.URL, data, config.Params{Parallelism: ptr(16)})
		spec.CacheDir = cacheDir
		if edit != nil {
			edit(spec)
		}
		r := &Runner{}
		out, err := r.Run(context.Background(), spec, nil)
		if cerr := r.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil || out.Status != state.StatusComplete {
			t.Fatalf("run: %+v, %v", out, err)
		}
		return readFile(t, filepath.Join(runDir, rundir.ResultsFile))
	}
	first := run(t, nil)
	if got := s.Count(sim.RouteChat); got != harnessSamples {
		t.Fatalf("first run sent %d requests, want %d", got, harnessSamples)
	}
	tests := []struct {
		name         string
		edit         func(*plan.RunSpec)
		wantRequests int64
	}{
		{"cached", nil, 0},
		{"no-cache", func(s *plan.RunSpec) { s.NoCache = true }, harnessSamples},
		{"cache = false", func(s *plan.RunSpec) { s.Params.Cache = ptr(false) }, harnessSamples},
		{"other endpoint fingerprint", func(s *plan.RunSpec) { s.Fingerprint.Revision = "v2" }, harnessSamples},
		{"cached again", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Count(sim.RouteChat)
			got := run(t, tt.edit)
			if n := s.Count(sim.RouteChat) - before; n != tt.wantRequests {
				t.Errorf("sent %d requests, want %d", n, tt.wantRequests)
			}
			if diff := cmp.Diff(string(first), string(got)); diff != "" {
				t.Errorf("results.json differs from the first run's (-first +got):\n%s", diff)
			}
		})
	}
}

// TestCacheNoAnswerEndToEnd runs against a server whose every 200 carries no answer, then
// against the fixed server with the same endpoint fingerprint and cache directory: the first
// run records errors and caches nothing, so the second asks again and scores every sample
// (the bug: the empty answers were scored 0, cached, and the fixed server was never asked).
func TestCacheNoAnswerEndToEnd(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	broken := simConfig(data)
	broken.Faults = sim.Faults{RateEmpty: 1}
	fixed := simConfig(data)
	fixed.Accuracy = 1
	type outcome struct {
		Status   state.Status
		N        int
		Score    float64
		Requests int64
	}
	var got []outcome
	for _, cfg := range []sim.Config{broken, fixed} {
		s := startSim(t, cfg)
		spec := simSpec(t.TempDir(), s.URL, data, config.Params{Parallelism: ptr(4), MaxRetries: ptr(0)})
		spec.CacheDir = cacheDir
		r := &Runner{}
		out, err := r.Run(context.Background(), spec, nil)
		if cerr := r.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		o := outcome{Status: out.Status}
		if out.Result != nil {
			o.N, o.Score = out.Result.N, out.Result.Score
		}
		s.close()
		if cfg.Faults.RateEmpty == 0 {
			o.Requests = s.Count(sim.RouteChat)
		}
		got = append(got, o)
	}
	want := []outcome{
		{Status: state.StatusFailed},
		{Status: state.StatusComplete, N: harnessSamples, Score: 1, Requests: harnessSamples},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// TestAdaptiveConcurrency: 429s shrink the endpoint's limit and the run still completes;
// two concurrent runs against one endpoint share one limiter, so the server never sees
// more requests at once than the larger parallelism.
func TestAdaptiveConcurrency(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	t.Run("backs off on 429", func(t *testing.T) {
		cfg := simConfig(data)
		cfg.Capacity = 8
		cfg.Faults = sim.Faults{Rate429: 0.3}
		s := startSim(t, cfg)
		limiters := &openai.Limiters{}
		spec := simSpec(t.TempDir(), s.URL, data, config.Params{Parallelism: ptr(32), MaxRetries: ptr(20)})
		out, err := (&Runner{Limiters: limiters}).Run(context.Background(), spec, nil)
		if err != nil || out.Status != state.StatusComplete || out.Result.N != harnessSamples {
			t.Fatalf("run: %+v, %v", out, err)
		}
		st := limiters.For(spec.Endpoint.Name+" "+spec.Endpoint.URL, 1).Stats()
		if s.FaultCount(sim.Fault429) == 0 || st.Decreases == 0 || st.Max != 32 || st.Peak > 32 || st.InFlight != 0 {
			t.Errorf("after %d 429s limiter stats = %+v; want decreases, max 32, peak ≤ 32, nothing in flight",
				s.FaultCount(sim.Fault429), st)
		}
	})
	t.Run("shared by runs", func(t *testing.T) {
		cfg := simConfig(data)
		cfg.Latency = 5 * time.Millisecond
		s := startSim(t, cfg)
		r := &Runner{Limiters: &openai.Limiters{}}
		var wg sync.WaitGroup
		outs := make([]*plan.Outcome, 2)
		errs := make([]error, 2)
		for i, p := range []int{4, 12} {
			spec := simSpec(t.TempDir(), s.URL, data, config.Params{Parallelism: ptr(p)})
			wg.Go(func() { outs[i], errs[i] = r.Run(context.Background(), spec, nil) })
		}
		wg.Wait()
		for i := range outs {
			if errs[i] != nil || outs[i].Status != state.StatusComplete {
				t.Fatalf("run %d: %+v, %v", i, outs[i], errs[i])
			}
		}
		if got := s.MaxInflight(); got > 12 {
			t.Errorf("server saw %d requests at once; the shared limiter allows 12", got)
		}
		if got := s.Count(sim.RouteChat); got != 2*harnessSamples {
			t.Errorf("server saw %d requests, want %d", got, 2*harnessSamples)
		}
	})
}

// TestStreaming sends through a streaming client: the runner has no switch for streaming
// (ClientOptions.Stream is not a run parameter), so the test builds the stack itself with
// NewDoer. Streamed answers score exactly as unstreamed ones, malformed streams are
// retried, and the cache key ignores streaming.
func TestStreaming(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	ref := referenceRun(t, data)
	cfg := simConfig(data)
	cfg.Faults = sim.Faults{RateMalformed: 0.2, RateDrop: 0.05}
	s := startSim(t, cfg)
	var clients []*openai.Client
	var mu sync.Mutex
	r := &Runner{NewDoer: func(spec *plan.RunSpec) openai.Doer {
		c := openai.NewClient(openai.ClientOptions{BaseURL: spec.Endpoint.URL, MaxConns: 16, Stream: true, Timeout: 10 * time.Second})
		mu.Lock()
		clients = append(clients, c)
		mu.Unlock()
		return openai.Stack(c, openai.StackOptions{MaxRetries: 20, RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond})
	}}
	dir := t.TempDir()
	out, err := r.Run(context.Background(), simSpec(dir, s.URL, data, config.Params{Parallelism: ptr(16)}), nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("run: %+v, %v", out, err)
	}
	checkSameAsReference(t, ref, dir)
	if s.FaultCount(sim.FaultMalformed) == 0 {
		t.Errorf("no malformed stream was injected")
	}
	for _, c := range clients {
		c.CloseIdleConnections()
	}

	// The same request, streamed and not, through one client each: same text and usage.
	plain := openai.NewClient(openai.ClientOptions{BaseURL: s.URL})
	streamed := openai.NewClient(openai.ClientOptions{BaseURL: s.URL, Stream: true})
	defer plain.CloseIdleConnections()
	defer streamed.CloseIdleConnections()
	req := &openai.Request{Kind: openai.KindChat, Model: sim.DefaultModel, Messages: userMessage(gsm8kPrompt + firstQuestion(t, data))}
	var got []*openai.Response
	for _, c := range []*openai.Client{plain, streamed} {
		resp, err := openai.Stack(c, openai.StackOptions{MaxRetries: 20, RetryBase: time.Millisecond}).Do(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Attempts = 0
		got = append(got, resp)
	}
	if got[0].Usage.CompletionTokens == 0 || got[0].Text == "" {
		t.Errorf("unstreamed response %+v has no text or usage", got[0])
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("streamed response differs (-plain +streamed):\n%s", diff)
	}
}

// firstQuestion is the question of data's first record.
func firstQuestion(t *testing.T, data string) string {
	t.Helper()
	f, err := os.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rec struct{ Question string }
	if err := json.NewDecoder(f).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	return rec.Question
}

// TestEndpointStream: an endpoint with stream = true gets streamed requests from the
// default request stack, and scores exactly like an unstreamed run.
func TestEndpointStream(t *testing.T) {
	data := writeGSM8K(t, t.TempDir(), harnessSamples)
	ref := referenceRun(t, data)
	s := startSim(t, simConfig(data))
	dir := t.TempDir()
	spec := simSpec(dir, s.URL, data, config.Params{Parallelism: ptr(8)})
	spec.Endpoint.Stream = true
	r := &Runner{}
	defer r.Close()
	out, err := r.Run(context.Background(), spec, nil)
	if err != nil || out.Status != state.StatusComplete {
		t.Fatalf("run: %+v, %v", out, err)
	}
	if got := s.Streamed(); got != harnessSamples {
		t.Errorf("the simulator streamed %d replies, want %d", got, harnessSamples)
	}
	checkSameAsReference(t, ref, dir)
}
