package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/providers/openai"
	"github.com/evalplan/evalplan/providers/proxy"
)

// RequestsFunc returns the request stack of a run's endpoint and what closes it.
type RequestsFunc func(ctx context.Context, spec *plan.RunSpec, progress plan.Progress) (openai.Doer, func(), error)

// throughEvalplan starts the run's local endpoint (providers/proxy) in front of the request
// stack of spec.Endpoint and returns a copy of spec whose endpoint is that local one: its
// URL on 127.0.0.1 (the container runs on the host network to reach it), a fresh token as
// its key, no headers. A judge gets a local endpoint of its own the same way. The container
// never sees a real URL, key or header. stop closes the endpoints and their stacks, and says
// how many requests went through; call it once the container has ended.
//
// Specs without an endpoint URL are returned as they are (BuildRunConfig reports them), and
// so are embedding tasks, which the local endpoint does not serve yet.
func (r *Runner) throughEvalplan(ctx context.Context, spec *plan.RunSpec, runDir string, progress plan.Progress) (_ *plan.RunSpec, stop func(), err error) {
	if spec.Endpoint == nil || spec.Endpoint.URL == "" || (spec.Task != nil && slices.Contains(spec.Task.Capabilities, "embedding")) {
		return spec, func() {}, nil
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create run directory: %w", err)
	}
	local := *spec
	ep, stopModel, err := r.serve(ctx, spec, rundir.RequestsFile, progress)
	if err != nil {
		return nil, nil, err
	}
	local.Endpoint = ep
	stop = stopModel
	if spec.Judge != nil && spec.Judge.URL != "" {
		js := *spec
		js.Endpoint, js.Interceptors = spec.Judge, nil // interceptors apply to the model under test only
		judge, stopJudge, err := r.serve(ctx, &js, rundir.JudgeRequestsFile, plan.NopProgress{})
		if err != nil {
			stopModel()
			return nil, nil, fmt.Errorf("judge: %w", err)
		}
		local.Judge = judge
		stop = func() { stopModel(); stopJudge() }
	}
	return &local, stop, nil
}

// serve starts a local endpoint in front of spec.Endpoint's request stack, journaling to
// journalName in spec.RunDir and replaying what earlier attempts got answered there, and
// returns the endpoint the container is given.
func (r *Runner) serve(ctx context.Context, spec *plan.RunSpec, journalName string, progress plan.Progress) (*config.Endpoint, func(), error) {
	requests := r.Requests
	if requests == nil {
		requests = directRequests
	}
	doer, closeDoer, err := requests(ctx, spec, progress)
	if err != nil {
		return nil, nil, fmt.Errorf("request stack of %s: %w", spec.Endpoint.Name, err)
	}
	journalPath := filepath.Join(spec.RunDir, journalName)
	// What earlier attempts of this run got answered is answered again without the model:
	// a run killed or timed out never pays twice for a request.
	replay, err := proxy.ReadReplay(journalPath)
	if err != nil {
		closeDoer()
		return nil, nil, err
	}
	if spec.NoCache {
		replay = nil // -replace and -no-cache ask the model again
	}
	journal, err := os.OpenFile(journalPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		closeDoer()
		return nil, nil, fmt.Errorf("open request journal: %w", err)
	}
	srv, err := proxy.Start(ctx, proxy.Options{
		Doer: doer, Model: spec.Endpoint.Model, Journal: journal, Replay: replay, Progress: progress, Address: spec.Address,
	})
	if err != nil {
		closeDoer()
		journal.Close()
		return nil, nil, err
	}
	ep := *spec.Endpoint
	ep.URL, ep.APIKey, ep.URLSensitive, ep.Headers = srv.URL(), srv.Token(), false, nil
	stop := func() {
		jerr := errors.Join(srv.Close(), journal.Close())
		closeDoer()
		st := srv.Stats()
		msg := fmt.Sprintf("%d request(s) to %s through evalplan: %d from the response cache or an earlier attempt, %d failed, %d tokens", st.Requests, spec.Endpoint.Name, st.Cached, st.Errors, st.Tokens)
		if jerr != nil {
			msg += fmt.Sprintf("; %v", jerr)
		}
		progress.Log(spec.Address, msg)
	}
	return &ep, stop, nil
}

// directRequests is the request stack of a Runner without Requests: a client for the
// endpoint with retries (max_retries, default 3), without cache or shared limiter.
func directRequests(_ context.Context, spec *plan.RunSpec, _ plan.Progress) (openai.Doer, func(), error) {
	ep := spec.Endpoint
	retries := 3
	if p := spec.Params.MaxRetries; p != nil && *p >= 0 {
		retries = *p
	}
	timeout := 300 * time.Second
	if t := spec.Params.RequestTimeout; t != nil && *t > 0 {
		timeout = time.Duration(*t * float64(time.Second))
	}
	c := openai.NewClient(openai.ClientOptions{
		BaseURL: ep.URL, APIKey: ep.APIKey, Headers: ep.Headers, Timeout: timeout,
		Secrets: ep.Secrets(), AllowCrossHostRedirects: ep.AllowCrossHostRedirects,
	})
	return openai.Stack(c, openai.StackOptions{MaxRetries: retries}), c.CloseIdleConnections, nil
}
