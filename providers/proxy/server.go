package proxy

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/providers/openai"
)

// maxRequestBody bounds a request body the proxy reads.
const maxRequestBody = 32 << 20

// Options configures a Server.
type Options struct {
	// Doer is the request stack every request goes through. Required.
	Doer openai.Doer
	// Model is what GET /v1/models answers with.
	Model string
	// Host is the address to listen on; default 127.0.0.1 (a container on the host
	// network reaches it).
	Host string
	// Journal, when set, receives one JSON Entry per line for every request.
	Journal io.Writer
	// Replay answers requests an earlier attempt of the run already got answered; nil means
	// none.
	Replay Replay
	// Progress hears of every request under Address: one unit done, an error when it
	// failed, and its tokens. Nil means none.
	Progress plan.Progress
	Address  string
	// Now is the clock of journal times and latencies; nil means time.Now.
	Now func() time.Time
}

// Stats counts a Server's requests since it started.
type Stats struct {
	// Requests counts the generation requests answered or failed; Cached those answered
	// from the response cache; Errors those that failed.
	Requests, Cached, Errors int64
	// Tokens sums the usage's total tokens.
	Tokens int64
}

// Server is a running proxy. Close it when the harness is done.
type Server struct {
	o     Options
	token string
	url   string
	ln    net.Listener
	srv   *http.Server
	done  chan struct{}

	seq                              atomic.Int64
	requests, cached, errors, tokens atomic.Int64
	jmu                              sync.Mutex
	jerr                             error
	logged                           atomic.Bool
	closeOnce                        sync.Once
}

// Start listens on Options.Host at a free port and serves until ctx ends or Close.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Doer == nil {
		return nil, errors.New("proxy: no request stack")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Progress == nil {
		o.Progress = plan.NopProgress{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tok, err := newToken()
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(o.Host, "0"))
	if err != nil {
		return nil, fmt.Errorf("start the local endpoint: %w", err)
	}
	s := &Server{o: o, token: tok, ln: ln, done: make(chan struct{})}
	s.url = "http://" + ln.Addr().String() + "/v1"
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// newToken is 32 random bytes in hex.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a token: %w", err)
	}
	return "evalplan-" + hex.EncodeToString(b), nil
}

// URL is the proxy's OpenAI-compatible base URL, ending in /v1.
func (s *Server) URL() string { return s.url }

// Token is the bearer token a client must send. Never log it.
func (s *Server) Token() string { return s.token }

// Stats returns the proxy's counters.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Cached: s.cached.Load(), Errors: s.errors.Load(), Tokens: s.tokens.Load()}
}

// Close stops the proxy: it stops listening, cancels requests in flight and waits for
// their handlers. It returns the first error met writing the journal.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.srv.Close()
		}
		<-s.done
	})
	s.jmu.Lock()
	defer s.jmu.Unlock()
	return s.jerr
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { s.generate(w, r, openai.KindChat) })
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) { s.generate(w, r, openai.KindCompletions) })
	return s.authorized(mux)
}

// authorized answers 401 to a request without the proxy's token.
func (s *Server) authorized(next http.Handler) http.Handler {
	want := []byte("Bearer " + s.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			writeError(w, http.StatusUnauthorized, "invalid_api_key", "missing or wrong token for evalplan's local endpoint")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   []map[string]any{{"id": s.o.Model, "object": "model", "owned_by": "evalplan"}},
	})
}

// wireFlags are the transport fields of a request body the proxy acts on.
type wireFlags struct {
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// generate sends one chat or completions request through the stack and answers with the
// reply, as an event stream when the request asked for one.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, kind string) {
	start := s.o.Now()
	e := Entry{Seq: s.seq.Add(1), Time: start.UTC(), Path: r.URL.Path}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	var flags wireFlags
	switch {
	case err != nil:
		s.fail(w, &e, start, http.StatusBadRequest, fmt.Errorf("read request: %w", err))
		return
	case len(body) > maxRequestBody:
		s.fail(w, &e, start, http.StatusRequestEntityTooLarge, fmt.Errorf("request body over %d MiB", maxRequestBody>>20))
		return
	case json.Unmarshal(body, &flags) != nil || !json.Valid(body):
		s.fail(w, &e, start, http.StatusBadRequest, errors.New("request body is not a JSON object"))
		return
	}
	e.Request = body
	if reply, ok := s.replayed(r.URL.Path, body); ok {
		e.Reply, e.FinishReason = replyText(reply)
		e.Body, e.Cached, e.Replayed, e.Status = reply, true, true, http.StatusOK
		s.record(&e, start)
		s.answer(w, kind, reply, flags)
		return
	}
	resp, err := s.o.Doer.Do(r.Context(), &openai.Request{Kind: kind, Body: body})
	if err == nil && (resp == nil || resp.Body == nil) {
		err = errors.New("the request stack returned no reply")
	}
	if err != nil {
		e.Attempts = openai.Attempts(err)
		code, _ := upstreamStatus(err)
		s.fail(w, &e, start, code, err)
		return
	}
	e.Reply, e.FinishReason, e.Cached, e.Attempts = resp.Text, resp.FinishReason, resp.Cached, resp.Attempts
	e.Usage = resp.Usage
	e.Status = http.StatusOK
	e.Body = resp.Body
	// The journal line is written before the harness reads the answer (see Replay).
	s.record(&e, start)
	s.answer(w, kind, resp.Body, flags)
}

// replayed returns the reply an earlier attempt got for the same request.
func (s *Server) replayed(path string, body []byte) ([]byte, bool) {
	if len(s.o.Replay) == 0 {
		return nil, false
	}
	key, err := replayKey(path, body)
	if err != nil {
		return nil, false
	}
	reply, ok := s.o.Replay[key]
	return reply, ok
}

// answer writes a 200 reply, as server-sent events when the harness asked to stream.
func (s *Server) answer(w http.ResponseWriter, kind string, body []byte, flags wireFlags) {
	if flags.Stream {
		writeStream(w, kind, body, flags.StreamOptions != nil && flags.StreamOptions.IncludeUsage)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// upstreamStatus is the status the harness gets for a failed request and the message it
// reads: the endpoint's own 4xx (a request it rejects), 504 for a timeout, else 502. The
// message names no URL, host or key.
func upstreamStatus(err error) (int, string) {
	if se, ok := errors.AsType[*openai.StatusError](err); ok {
		if se.Code >= 400 && se.Code < 500 && se.Code != http.StatusTooManyRequests && se.Code != http.StatusRequestTimeout {
			return se.Code, fmt.Sprintf("the model endpoint rejected the request: %v", se)
		}
		return http.StatusBadGateway, fmt.Sprintf("the model endpoint failed after %d attempt(s): HTTP %d", openai.Attempts(err), se.Code)
	}
	if errors.Is(err, openai.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, fmt.Sprintf("the model endpoint timed out after %d attempt(s)", openai.Attempts(err))
	}
	if errors.Is(err, openai.ErrMalformed) {
		return http.StatusBadGateway, fmt.Sprintf("the model endpoint's reply was unusable after %d attempt(s)", openai.Attempts(err))
	}
	return http.StatusBadGateway, fmt.Sprintf("the model endpoint could not be reached after %d attempt(s)", openai.Attempts(err))
}

// fail journals a failed request and answers it with code.
func (s *Server) fail(w http.ResponseWriter, e *Entry, start time.Time, code int, err error) {
	e.Status, e.Error = code, err.Error()
	s.record(e, start)
	msg := err.Error()
	if e.Request != nil {
		_, msg = upstreamStatus(err)
	}
	if s.logged.CompareAndSwap(false, true) {
		s.o.Progress.Log(s.o.Address, fmt.Sprintf("local endpoint: a request failed (HTTP %d to the harness): %v", code, err))
	}
	writeError(w, code, "evalplan_proxy_error", msg)
}

// record counts e and writes its journal line.
func (s *Server) record(e *Entry, start time.Time) {
	e.LatencyMS = float64(s.o.Now().Sub(start).Microseconds()) / 1000
	s.requests.Add(1)
	var errs int64
	if e.Error != "" {
		errs = 1
		s.errors.Add(1)
	}
	if e.Cached {
		s.cached.Add(1)
	}
	tokens := int64(e.Usage.TotalTokens)
	s.tokens.Add(tokens)
	s.o.Progress.Add(s.o.Address, 1, errs, tokens)
	if s.o.Journal == nil {
		return
	}
	line, err := json.Marshal(e)
	if err != nil {
		line, _ = json.Marshal(Entry{Seq: e.Seq, Time: e.Time, Path: e.Path, Status: e.Status, Error: "journal: " + err.Error()})
	}
	s.jmu.Lock()
	defer s.jmu.Unlock()
	if _, err := s.o.Journal.Write(append(line, '\n')); err != nil && s.jerr == nil {
		s.jerr = fmt.Errorf("write request journal: %w", err)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// writeError answers with an OpenAI-style error body.
func writeError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": code}})
}
