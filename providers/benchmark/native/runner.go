package native

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalplan/evalplan/plan"
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
	// (max_retries).
	NewDoer func(spec *plan.RunSpec) openai.Doer
	// Now is the clock used for latencies; nil means time.Now.
	Now func() time.Time
}

var _ plan.Runner = (*Runner)(nil)

// Run implements plan.Runner for native.gsm8k.
func (r *Runner) Run(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (*plan.Outcome, error) {
	if progress == nil {
		progress = plan.NopProgress{}
	}
	x, err := r.prepare(spec, progress)
	if err != nil {
		return failed(err), err
	}
	return x.run(ctx)
}

// run is one execution of a run spec.
type run struct {
	spec     *plan.RunSpec
	task     task
	set      *settings
	kind     string
	doer     openai.Doer
	cleanup  func()
	now      func() time.Time
	progress plan.Progress
	journal  *journal

	answered atomic.Int64
	errored  atomic.Int64
	tripped  atomic.Bool
	stop     context.CancelFunc

	mu    sync.Mutex
	fatal error
}

// prepare checks what a run needs from its spec, without touching files.
func (r *Runner) prepare(spec *plan.RunSpec, progress plan.Progress) (*run, error) {
	if spec == nil {
		return nil, errors.New("native runner: no run spec")
	}
	name := spec.Benchmark
	if spec.Task != nil {
		name = spec.Task.Name
	}
	t, err := taskFor(name)
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
	if x.now == nil {
		x.now = time.Now
	}
	if r.NewDoer != nil {
		x.doer = r.NewDoer(spec)
	} else {
		if spec.Endpoint.URL == "" {
			return nil, fmt.Errorf("%s: endpoint %s has no URL", spec.Address, spec.Endpoint.Name)
		}
		c := openai.NewClient(openai.ClientOptions{
			BaseURL:  spec.Endpoint.URL,
			APIKey:   spec.Endpoint.APIKey,
			Headers:  spec.Endpoint.Headers,
			Timeout:  s.requestTimeout,
			MaxConns: s.parallelism,
		})
		x.doer = &openai.Retry{Next: c, MaxRetries: s.maxRetries}
		x.cleanup = c.CloseIdleConnections
	}
	return x, nil
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
	sel, err := selectRows(spec.Dataset.Path, x.task, x.set)
	if err != nil {
		return failed(err), nil
	}
	if want := spec.Dataset.SHA256; want != "" && !strings.EqualFold(want, sel.sha256) {
		return failed(fmt.Errorf("dataset %s has sha256 %s, want %s: it changed after it was fetched; clear it from the cache and apply again",
			spec.Dataset.Path, sel.sha256, want)), nil
	}
	if len(sel.rows) == 0 {
		return failed(fmt.Errorf("dataset %s has no records", spec.Dataset.Path)), nil
	}
	if err := os.MkdirAll(spec.RunDir, 0o755); err != nil {
		return failed(fmt.Errorf("create run directory: %w", err)), nil
	}
	if err := writeRunConfig(spec, x.task, x.set, sel); err != nil {
		return failed(err), nil
	}
	path := filepath.Join(spec.RunDir, JournalFile)
	prior, err := lastOutcomes(path)
	if err != nil {
		return failed(err), nil
	}
	todo := make([]int, 0, len(sel.rows))
	for _, row := range sel.rows {
		if o, ok := prior[sampleID(row)]; !ok || o.err != "" {
			todo = append(todo, row)
		}
	}
	prior = nil
	x.progress.Total(spec.Address, int64(len(sel.rows)))
	if done := len(sel.rows) - len(todo); done > 0 {
		x.progress.Log(spec.Address, fmt.Sprintf("resuming: %d of %d samples already answered", done, len(sel.rows)))
		x.progress.Add(spec.Address, int64(done), 0, 0)
	}
	if x.journal, err = openJournal(path); err != nil {
		return failed(err), nil
	}
	x.execute(ctx, todo)
	if err := x.journal.close(); err != nil {
		x.setFatal(err)
	}
	return x.finish(ctx, sel)
}

// job is one sample to request.
type job struct {
	row int
	it  item
}

// execute requests the given rows with parallelism workers pulling from a channel fed by
// a stream over the dataset.
func (x *run) execute(ctx context.Context, rows []int) {
	dispatch, stop := context.WithCancel(ctx)
	defer stop()
	x.stop = stop
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range min(x.set.parallelism, len(rows)) {
		wg.Go(func() {
			for j := range jobs {
				x.do(ctx, j)
			}
		})
	}
	err := streamSelected(dispatch, x.spec.Dataset.Path, x.task, rows, func(row int, it item) error {
		select {
		case jobs <- job{row: row, it: it}:
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
func (x *run) do(ctx context.Context, j job) {
	req, prompt := x.request(j.it)
	start := x.now()
	resp, err := x.doer.Do(ctx, req)
	elapsed := x.now().Sub(start)
	if err == nil && resp == nil {
		err = errors.New("request returned no response")
	}
	if err != nil && ctx.Err() != nil {
		return
	}
	rec := &Record{
		ID:        sampleID(j.row),
		Prompt:    prompt,
		Target:    j.it.target,
		Extracted: map[string]*string{},
		Score:     map[string]float64{},
		LatencyMS: float64(elapsed.Microseconds()) / 1000,
	}
	if err != nil {
		msg := err.Error()
		rec.Error = &msg
		rec.Attempts = openai.Attempts(err)
	} else {
		text := resp.Text
		rec.Response = &text
		rec.Extracted, rec.Score = x.task.score(text, j.it.target)
		rec.Usage = resp.Usage
		rec.Attempts = max(1, resp.Attempts)
	}
	if jerr := x.journal.append(rec); jerr != nil {
		x.setFatal(jerr)
		return
	}
	if err != nil {
		x.progress.Add(x.spec.Address, 1, 1, 0)
		x.failFast()
		return
	}
	x.answered.Add(1)
	x.progress.Add(x.spec.Address, 1, 0, int64(resp.Usage.CompletionTokens))
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
func (x *run) request(it item) (*openai.Request, any) {
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
		req.Prompt = it.prompt
		return req, it.prompt
	}
	req.Messages = []openai.Message{{Role: "user", Content: it.prompt}}
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

// finish computes the result from the journal, writes results.json and decides the
// outcome.
func (x *run) finish(ctx context.Context, sel *selection) (*plan.Outcome, error) {
	x.mu.Lock()
	fatal := x.fatal
	x.mu.Unlock()
	if fatal != nil {
		return failed(fatal), nil
	}
	s, err := summarise(filepath.Join(x.spec.RunDir, JournalFile), x.task, sel.rows)
	if err != nil {
		return failed(err), nil
	}
	res := s.result
	out := &plan.Outcome{Status: plan.StatusComplete, Result: res}
	switch {
	case ctx.Err() != nil:
		out.Status = plan.StatusPartial
		out.Error = fmt.Sprintf("cancelled with %d of %d samples answered", res.N, len(sel.rows))
	case res.N == 0 && res.Errors > 0:
		return failed(fmt.Errorf("every request failed (%d of %d samples tried); first error (sample %s): %s",
			res.Errors, len(sel.rows), s.firstErrID, s.firstErr)), nil
	case res.Errors > 0:
		out.Status = plan.StatusPartial
		out.Error = fmt.Sprintf("%d of %d samples failed; first error (sample %s): %s",
			res.Errors, len(sel.rows), s.firstErrID, s.firstErr)
	case res.N < len(sel.rows):
		out.Status = plan.StatusPartial
		out.Error = fmt.Sprintf("%d of %d samples were not run", len(sel.rows)-res.N, len(sel.rows))
	}
	if res.N > 0 { // a run cancelled before any answer has no result worth a file
		if err := writeResults(x.spec.RunDir, res); err != nil {
			return failed(err), nil
		}
	}
	return out, ctx.Err()
}

// failed is the outcome of a run that could not be done.
func failed(err error) *plan.Outcome {
	return &plan.Outcome{Status: plan.StatusFailed, Error: err.Error()}
}
