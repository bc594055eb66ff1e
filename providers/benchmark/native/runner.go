package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/evalplan/evalplan/providers/openai"
)

// Runner is the plan.Runner of evalplan's native tasks. The zero value is ready to use.
//
// Run always returns an Outcome. Its error is non-nil only when ctx ended the run (the
// Outcome is then partial and the error is ctx.Err()) or when the spec is not something this
// runner can run (an unsupported task, invalid parameters; the Outcome is then failed with
// the same message). Every other problem — an unreadable dataset, failed requests, a run
// directory that cannot be written — is reported in the Outcome alone.
type Runner struct {
	// NewDoer returns the request interface of a run. Nil means an HTTP client for
	// spec.Endpoint (request_timeout, parallelism connections) wrapped in retries
	// (max_retries). A run with a judge calls it a second time, with a copy of the spec
	// whose Endpoint is spec.Judge.
	NewDoer func(spec *plan.RunSpec) openai.Doer
	// Now is the clock used for latencies; nil means time.Now.
	Now func() time.Time
	// Limiters holds one adaptive concurrency limiter per endpoint, shared by every run
	// against it (DESIGN §7). Nil means each run gets its own.
	Limiters *openai.Limiters
	// CacheWait bounds how long a run waits for a response cache held by another
	// evalplan before it runs without the cache (default DefaultCacheWait).
	CacheWait time.Duration
	// SharedCache opens the response cache for many processes at once (the jobs of a
	// cluster on one shared cache_dir; openai.CacheOptions.Shared) instead of waiting for
	// another evalplan to release it.
	SharedCache bool

	mu     sync.Mutex
	caches map[string]*openai.Cache // by cache file
}

// Close flushes and closes the response caches the runner opened.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for path, c := range r.caches {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close response cache %s: %w", path, err))
		}
	}
	r.caches = nil
	return errors.Join(errs...)
}

// DefaultCacheWait is Runner.CacheWait's default.
const DefaultCacheWait = 10 * time.Minute

// cacheLockPoll is how long one attempt to open a locked cache waits.
const cacheLockPoll = time.Second

// responseCache opens (once) the response cache under cacheDir. A cache that cannot be
// used — a read-only or unwritable cache_dir, a damaged file, a file another evalplan holds
// past CacheWait — is not an error: the run goes on without it, and progress says why and
// what to do. A held file is waited for, with progress, until ctx ends.
func (r *Runner) responseCache(ctx context.Context, addr, cacheDir string, progress plan.Progress) (*openai.Cache, error) {
	path := filepath.Join(cacheDir, "responses.bbolt")
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.caches[path]; c != nil {
		return c, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		progress.Log(addr, fmt.Sprintf("warning: running without the response cache: %v", err))
		return nil, nil
	}
	wait := r.CacheWait
	if wait <= 0 {
		wait = DefaultCacheWait
	}
	var (
		c      *openai.Cache
		err    error
		waited time.Duration
	)
	for {
		poll := min(cacheLockPoll, wait-waited)
		c, err = openai.OpenCache(path, openai.CacheOptions{LockWait: poll, Shared: r.SharedCache, OnError: cacheWarning(addr, progress)})
		waited += poll
		if !errors.Is(err, openai.ErrCacheLocked) || waited >= wait {
			break
		}
		if waited == poll {
			progress.Log(addr, fmt.Sprintf("waiting up to %s for the response cache %s, held by another evalplan", wait, path))
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if err != nil {
		progress.Log(addr, fmt.Sprintf("warning: running without the response cache: %v", err))
		return nil, nil
	}
	if r.caches == nil {
		r.caches = map[string]*openai.Cache{}
	}
	r.caches[path] = c
	return c, nil
}

var _ plan.Runner = (*Runner)(nil)

// Run implements plan.Runner for native.gsm8k, native.mmlu, native.arc_challenge,
// native.math500 and task blocks.
func (r *Runner) Run(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (*plan.Outcome, error) {
	if progress == nil {
		progress = plan.NopProgress{}
	}
	x, err := r.prepare(ctx, spec, progress)
	if err != nil {
		return failed(err), err
	}
	return x.run(ctx)
}

// run is one execution of a run spec.
type run struct {
	spec     *plan.RunSpec
	task     task
	src      source
	set      *settings
	kind     string
	doer     openai.Doer
	judge    grader // nil without a judge endpoint
	cleanup  func()
	now      func() time.Time
	progress plan.Progress
	journal  *rundir.Journal

	answered atomic.Int64
	errored  atomic.Int64
	tripped  atomic.Bool
	stop     context.CancelFunc

	mu    sync.Mutex
	fatal error
	// last is each id's last journal line: read from the journal when the run starts,
	// then updated as each sample is journaled; the result is computed from it.
	last map[string]outcome
}

// prepare checks what a run needs from its spec, without touching files.
func (r *Runner) prepare(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (*run, error) {
	if spec == nil {
		return nil, errors.New("native runner: no run spec")
	}
	t, err := taskFor(spec)
	if err != nil {
		return nil, err
	}
	if spec.Endpoint == nil {
		return nil, fmt.Errorf("%s: run spec has no endpoint", spec.Address)
	}
	if spec.RunDir == "" {
		return nil, fmt.Errorf("%s: run spec has no run directory", spec.Address)
	}
	s, err := newSettings(spec.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Address, err)
	}
	kind, err := requestKind(spec.Endpoint.Type)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Address, err)
	}
	x := &run{spec: spec, task: t, set: s, kind: kind, now: r.Now, progress: progress, cleanup: func() {}}
	x.src = source{file: spec.Dataset, conf: datasetConfig(spec, t)}
	if x.now == nil {
		x.now = time.Now
	}
	doer, cleanup, err := r.newDoer(ctx, spec, s, progress)
	if err != nil {
		return nil, err
	}
	x.doer, x.cleanup = intercept(doer, spec.Interceptors), cleanup // intercept.go
	if spec.Judge != nil {
		js := *spec
		js.Endpoint, js.Interceptors = spec.Judge, nil // interceptors apply to the model under test only
		jkind, err := requestKind(spec.Judge.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: judge: %w", spec.Address, err)
		}
		jdoer, jcleanup, err := r.newDoer(ctx, &js, s, progress)
		if err != nil {
			return nil, fmt.Errorf("%s: judge: %w", spec.Address, err)
		}
		x.cleanup = func() { cleanup(); jcleanup() }
		x.judge = judgeGrader(jdoer, jkind, spec.Judge.Model)
	}
	return x, nil
}

// newDoer is the request interface of spec.Endpoint and what closes it.
func (r *Runner) newDoer(ctx context.Context, spec *plan.RunSpec, s *settings, progress plan.Progress) (openai.Doer, func(), error) {
	if r.NewDoer != nil {
		return r.NewDoer(spec), func() {}, nil
	}
	if spec.Endpoint.URL == "" {
		return nil, nil, fmt.Errorf("%s: endpoint %s has no URL", spec.Address, spec.Endpoint.Name)
	}
	hdrs, hsecrets := headers(spec.Endpoint.Headers, spec.Interceptors) // intercept.go
	c := openai.NewClient(openai.ClientOptions{
		BaseURL:  spec.Endpoint.URL,
		APIKey:   spec.Endpoint.APIKey,
		Headers:  hdrs,
		Timeout:  s.requestTimeout,
		MaxConns: s.workers(),
		Stream:   spec.Endpoint.Stream,

		Secrets:                 append(spec.Endpoint.Secrets(), hsecrets...),
		AllowCrossHostRedirects: spec.Endpoint.AllowCrossHostRedirects,
	})
	opts := openai.StackOptions{MaxRetries: s.maxRetries, OnWait: waitLogger(spec.Address, progress)}
	limiters := r.Limiters
	if limiters == nil {
		limiters = &openai.Limiters{}
	}
	key := LimiterKey(spec.Endpoint.Name, spec.Endpoint.URL)
	opts.Limiter = limiters.For(key, s.limiterParallelism())
	unwatchMetrics := func() {}
	if s.discover {
		// The server's own metrics (vLLM, SGLang), when it serves them, steer the limiter.
		metrics := spec.Endpoint.MetricsURL // a managed server's own path (NIM: /v1/metrics)
		if metrics == "" {
			metrics = openai.MetricsURL(spec.Endpoint.URL)
		}
		unwatchMetrics = limiters.Watch(key, metrics)
	}
	// Changes of the shared limit (memory pressure on the server) go to the run's log and
	// its events file.
	unlisten := opts.Limiter.OnEvent(eventRecorder(spec, progress))
	unwatch := func() { unwatchMetrics(); unlisten() }
	if !spec.NoCache && (spec.Params.Cache == nil || *spec.Params.Cache) && spec.CacheDir != "" {
		ns, err := json.Marshal(spec.Fingerprint)
		if err != nil {
			unwatch()
			return nil, nil, err
		}
		cache, err := r.responseCache(ctx, spec.Address, spec.CacheDir, progress)
		if err != nil {
			unwatch()
			return nil, nil, fmt.Errorf("%s: response cache: %w", spec.Address, err)
		}
		if cache != nil {
			opts.Cache, opts.Namespace = cache, ns
		}
	}
	return openai.Stack(c, opts), func() { unwatch(); c.CloseIdleConnections() }, nil
}

// LimiterKey is the key of an endpoint's limiter in Runner.Limiters: every run against the
// same endpoint name and base URL shares it.
func LimiterKey(name, url string) string {
	return name + " " + url
}

// eventRecorder records a change of the endpoint's limit in the run's progress log and in
// its events file (rundir.EventsFile).
func eventRecorder(spec *plan.RunSpec, progress plan.Progress) func(openai.LimitEvent) {
	return func(e openai.LimitEvent) {
		progress.Log(spec.Address, e.String())
		if spec.RunDir == "" {
			return
		}
		if err := rundir.AppendEvent(spec.RunDir, rundir.Event{Time: e.Time, Kind: "concurrency", Message: e.String()}); err != nil {
			progress.Log(spec.Address, fmt.Sprintf("warning: %v", err))
		}
	}
}

// cacheWarning reports a damaged cache found mid-run; the cache then turns itself off.
// Other cache errors cost an entry and are not worth a line each.
func cacheWarning(addr string, progress plan.Progress) func(error) {
	return func(err error) {
		if errors.Is(err, openai.ErrCacheDamaged) {
			progress.Log(addr, fmt.Sprintf("warning: response cache turned off: %v", err))
		}
	}
}

// waitLogger tells progress of waits before retries of a second or more, once per
// distinct message in a row, so that a run whose every request waits says so.
func waitLogger(addr string, progress plan.Progress) func(time.Duration, error) {
	var (
		mu   sync.Mutex
		last string
	)
	return func(d time.Duration, err error) {
		if d < time.Second {
			return
		}
		msg := openai.WaitMessage(d, err)
		mu.Lock()
		defer mu.Unlock()
		if msg != last {
			last = msg
			progress.Log(addr, msg)
		}
	}
}

// judgeMaxTokens bounds a judge's answer (a Yes or a No is expected).
const judgeMaxTokens = 1024

// judgeGrader asks a judge endpoint one question at temperature 0.
func judgeGrader(d openai.Doer, kind, model string) grader {
	return func(ctx context.Context, prompt string) (string, error) {
		temp := 0.0
		req := &openai.Request{Kind: kind, Model: model, Temperature: &temp, MaxTokens: judgeMaxTokens}
		if kind == openai.KindCompletions {
			req.Prompt = prompt
		} else {
			req.Messages = userMessage(prompt)
		}
		resp, err := d.Do(ctx, req)
		if err == nil && resp == nil {
			err = errors.New("request returned no response")
		}
		if err != nil {
			return "", err
		}
		return resp.Text, nil
	}
}

// requestKind maps an endpoint type to a request kind.
func requestKind(endpointType string) (string, error) {
	switch endpointType {
	case "", openai.KindChat:
		return openai.KindChat, nil
	case openai.KindCompletions:
		return openai.KindCompletions, nil
	}
	return "", fmt.Errorf("endpoint type %q: want %q or %q", endpointType, openai.KindChat, openai.KindCompletions)
}

// run selects the samples, requests those the journal lacks, and writes the run directory.
func (x *run) run(ctx context.Context) (*plan.Outcome, error) {
	defer x.cleanup()
	spec := x.spec
	if u, ok := x.task.(*userTask); ok {
		if err := u.loadShots(ctx, spec); err != nil {
			return x.failedOrCancelled(ctx, err)
		}
	}
	sel, err := selectRows(ctx, x.src, x.task, x.set)
	if err != nil {
		return x.failedOrCancelled(ctx, err)
	}
	if err := checkDigest(spec, sel.sha256); err != nil {
		return failed(err), nil
	}
	if len(sel.rows) == 0 {
		return failed(fmt.Errorf("dataset %s has no records", spec.Dataset.Path)), nil
	}
	if err := os.MkdirAll(spec.RunDir, 0o755); err != nil {
		return failed(fmt.Errorf("create run directory: %w", err)), nil
	}
	path := filepath.Join(spec.RunDir, rundir.JournalFile)
	if err := checkResume(spec, path, sel.sha256); err != nil {
		return failed(err), nil
	}
	if err := writeRunConfig(spec, x.task, x.set, sel); err != nil {
		return failed(err), nil
	}
	if x.last, err = lastOutcomes(path, x.task); err != nil {
		return failed(err), nil
	}
	todo := &selection{sha256: sel.sha256}
	for i, id := range sel.ids {
		if o, ok := x.last[id]; !ok || o.err != "" {
			todo.rows = append(todo.rows, sel.rows[i])
			todo.ids = append(todo.ids, id)
		}
	}
	x.progress.Total(spec.Address, int64(len(sel.rows)))
	if done := len(sel.rows) - len(todo.rows); done > 0 {
		x.progress.Log(spec.Address, fmt.Sprintf("resuming: %d of %d samples already answered", done, len(sel.rows)))
		x.progress.Add(spec.Address, int64(done), 0, 0)
	}
	if x.journal, err = rundir.OpenJournal(path); err != nil {
		return failed(err), nil
	}
	x.execute(ctx, todo)
	if err := x.journal.Close(); err != nil {
		x.setFatal(err)
	}
	return x.finish(ctx, sel)
}

// checkDigest fails a run whose dataset bytes, as read, are not those the plan was made
// with: a dataset must not complete under a sha256 it no longer has.
func checkDigest(spec *plan.RunSpec, got string) error {
	want := spec.Dataset.SHA256
	if want == "" || strings.EqualFold(want, got) {
		return nil
	}
	if c := spec.DatasetConfig; c != nil && strings.EqualFold(c.SHA256, want) {
		return fmt.Errorf("dataset %q (%s) no longer matches its declared sha256:\n  declared: %s\n  read:     %s\n"+
			"It changed after it was planned. Restore the file, or, if the change is meant, set sha256 in the dataset block to the new value and plan again",
			c.Name, spec.Dataset.Path, want, got)
	}
	return fmt.Errorf("dataset %s has sha256 %s, but the plan was made with %s: it changed after it was planned; restore it or plan again (a downloaded dataset: clear it with evalplan datasets clear %s)",
		spec.Dataset.Path, got, want, want)
}

// checkResume refuses to resume a journal made from other dataset bytes: its samples would
// be scored against records that no longer exist. A run directory without a journal, or
// without a recorded digest, is not checked.
func checkResume(spec *plan.RunSpec, journal string, sum string) error {
	if fi, err := os.Stat(journal); err != nil || fi.Size() == 0 {
		return nil
	}
	var rc runConfig
	if err := rundir.ReadRunConfig(spec.RunDir, &rc); err != nil || rc.Dataset.SHA256 == "" {
		return nil
	}
	if strings.EqualFold(rc.Dataset.SHA256, sum) {
		return nil
	}
	return fmt.Errorf("dataset %s changed since the interrupted run: its journal %s was made from sha256 %s, the dataset now has sha256 %s; "+
		"restore the dataset to resume, or start over with apply -replace='%s'",
		spec.Dataset.Path, journal, rc.Dataset.SHA256, sum, spec.Address)
}

// failedOrCancelled is the outcome of an error before any request: cancelled when ctx
// ended, failed otherwise.
func (x *run) failedOrCancelled(ctx context.Context, err error) (*plan.Outcome, error) {
	if ctx.Err() != nil {
		return &plan.Outcome{Status: state.StatusPartial, Error: "cancelled before any request"}, ctx.Err()
	}
	return failed(err), nil
}

// execute requests the given rows with parallelism workers pulling from a channel fed by
// a stream over the dataset.
func (x *run) execute(ctx context.Context, todo *selection) {
	dispatch, stop := context.WithCancel(ctx)
	defer stop()
	x.stop = stop
	jobs := make(chan *item)
	var wg sync.WaitGroup
	for range min(x.set.workers(), len(todo.rows)) {
		wg.Go(func() {
			for it := range jobs {
				// A job taken after dispatch stopped (fail-fast or Ctrl-C) is not sent: the
				// select below may hand one over even after stop, and resume asks for it.
				if dispatch.Err() != nil {
					continue
				}
				x.do(openai.WithStop(ctx, dispatch), it)
			}
		})
	}
	err := streamSelected(dispatch, x.src, x.task, todo, func(it *item) error {
		if err := dispatch.Err(); err != nil {
			return err
		}
		select {
		case jobs <- it:
			return nil
		case <-dispatch.Done():
			return dispatch.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if err != nil && dispatch.Err() == nil {
		x.setFatal(err)
	}
}

// do requests, scores and journals one sample. A request that fails because ctx ended is
// not journaled: resume will request it again.
func (x *run) do(ctx context.Context, it *item) {
	req, prompt := x.request(it)
	start := x.now()
	resp, err := x.doer.Do(ctx, req)
	elapsed := x.now().Sub(start)
	if err == nil && resp == nil {
		err = errors.New("request returned no response")
	}
	if err != nil && (ctx.Err() != nil || errors.Is(err, openai.ErrStopped)) {
		return
	}
	rec := &rundir.Record{
		ID:        it.id,
		Prompt:    prompt,
		Target:    it.target,
		Extracted: map[string]*string{},
		Score:     map[string]float64{},
		Groups:    it.groups,
		LatencyMS: float64(elapsed.Microseconds()) / 1000,
	}
	if err != nil {
		rec.Attempts = openai.Attempts(err)
	} else {
		text := resp.Text
		rec.Response = &text
		rec.Usage = rundir.Usage(resp.Usage)
		rec.Attempts = max(1, resp.Attempts)
		if err = x.score(ctx, rec, it, text); err != nil && (ctx.Err() != nil || errors.Is(err, openai.ErrStopped)) {
			return // the judge was cut short: resume scores the sample again
		}
	}
	if err != nil {
		msg := err.Error()
		rec.Error = &msg
	}
	if jerr := x.journal.Append(rec); jerr != nil {
		x.setFatal(jerr)
		return
	}
	o := newOutcome(x.task, rec.Error, rec.Score, rec.Groups)
	x.mu.Lock()
	x.last[rec.ID] = o
	x.mu.Unlock()
	if err != nil {
		x.progress.Add(x.spec.Address, 1, 1, 0)
		x.failFast()
		return
	}
	x.answered.Add(1)
	x.progress.Add(x.spec.Address, 1, 0, int64(rec.Usage.CompletionTokens))
}

// score scores a response into rec. On error rec keeps only the judge's answer, if any.
func (x *run) score(ctx context.Context, rec *rundir.Record, it *item, response string) error {
	v, err := x.task.score(ctx, x.judge, response, it)
	if v != nil {
		rec.Judge = v.judge
	}
	if err != nil {
		return err
	}
	rec.Extracted, rec.Score = v.extracted, v.score
	return nil
}

// failFast counts a failed request and stops dispatching when enough have failed with
// none answered.
func (x *run) failFast() {
	n := x.errored.Add(1)
	if x.answered.Load() == 0 && n >= int64(max(failFastErrors, x.set.parallelism)) && !x.tripped.Swap(true) {
		x.progress.Log(x.spec.Address, fmt.Sprintf("stopping: %d requests failed and none succeeded", n))
		x.stop()
	}
}

// request builds the request of an item and the prompt as the journal records it.
func (x *run) request(it *item) (*openai.Request, any) {
	temp := x.set.temperature
	req := &openai.Request{
		Kind:        x.kind,
		Model:       x.spec.Endpoint.Model,
		Temperature: &temp,
		TopP:        x.set.topP,
		MaxTokens:   x.set.maxTokens,
		Seed:        x.set.requestSeed,
	}
	if x.kind == openai.KindCompletions {
		req.Prompt = plainText(it.messages)
		return req, req.Prompt
	}
	req.Messages = it.messages
	return req, req.Messages
}

// setFatal records the first error that makes the run fail and stops dispatching.
func (x *run) setFatal(err error) {
	x.mu.Lock()
	if x.fatal == nil {
		x.fatal = err
	}
	x.mu.Unlock()
	if x.stop != nil {
		x.stop()
	}
}

// finish computes the result from the journal's last lines, writes results.json and
// decides the outcome. A run with no sample scored has no result (and no results.json):
// its score would be a 0 that measures nothing.
func (x *run) finish(ctx context.Context, sel *selection) (*plan.Outcome, error) {
	x.mu.Lock()
	fatal := x.fatal
	x.mu.Unlock()
	if fatal != nil {
		return failed(fatal), nil
	}
	s := summarise(x.last, x.task, sel.ids)
	res := s.result
	out := &plan.Outcome{Status: state.StatusComplete, Result: res}
	switch {
	case ctx.Err() != nil && res.N == 0:
		return &plan.Outcome{Status: state.StatusPartial, Error: fmt.Sprintf("cancelled with 0 of %d samples answered: no result", len(sel.rows))}, ctx.Err()
	case ctx.Err() != nil:
		out.Status = state.StatusPartial
		out.Error = fmt.Sprintf("cancelled with %d of %d samples answered", res.N, len(sel.rows))
	case res.N == 0 && res.Errors > 0:
		return failed(fmt.Errorf("every request failed (%d of %d samples tried); first error (sample %s): %s",
			res.Errors, len(sel.rows), s.firstErrID, s.firstErr)), nil
	case res.Errors > 0:
		out.Status = state.StatusPartial
		out.Error = fmt.Sprintf("%d of %d samples failed; first error (sample %s): %s",
			res.Errors, len(sel.rows), s.firstErrID, s.firstErr)
	case res.N == 0:
		return failed(fmt.Errorf("no sample was scored (%d selected): no result", len(sel.rows))), nil
	case res.N < len(sel.rows):
		out.Status = state.StatusPartial
		out.Error = fmt.Sprintf("%d of %d samples were not run", len(sel.rows)-res.N, len(sel.rows))
	}
	if err := rundir.WriteResults(x.spec.RunDir, res); err != nil {
		return failed(err), nil
	}
	return out, ctx.Err()
}

// failed is the outcome of a run that could not be done.
func failed(err error) *plan.Outcome {
	return &plan.Outcome{Status: state.StatusFailed, Error: err.Error()}
}

// Requests is the request stack of spec.Endpoint as a native run of spec would have it —
// the response cache under spec.CacheDir (unless NoCache or cache = false), retries
// (max_retries), the endpoint's limiter shared through Limiters — and what closes it. The
// container runner sends a harness's requests through it (providers/proxy).
func (r *Runner) Requests(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (openai.Doer, func(), error) {
	if progress == nil {
		progress = plan.NopProgress{}
	}
	if spec == nil || spec.Endpoint == nil {
		return nil, nil, errors.New("native runner: run spec without an endpoint")
	}
	s, err := newSettings(spec.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", spec.Address, err)
	}
	return r.newDoer(ctx, spec, s, progress)
}

// OnPressure passes the GPU memory verdict of the managed server of endpoint at url to the
// endpoint's limiter (vllm.Provider.OnPressure) and returns the event it caused, if any:
// pressure halves the limit and holds it, no pressure lifts the hold. A trend alone (memory
// rising, not yet at the limit) does not lower a limiter that steers by the server's
// KV-cache metrics, which see the same thing earlier.
func (r *Runner) OnPressure(endpoint, url string, v gpu.Verdict) []string {
	if r.Limiters == nil {
		return nil
	}
	key := LimiterKey(endpoint, url)
	on := v.Pressure && !(v.Trend && r.Limiters.Metered(key))
	if e, ok := r.Limiters.Pressure(key, on, v.Reason); ok {
		return []string{e.String()}
	}
	return nil
}
