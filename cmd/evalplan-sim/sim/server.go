package sim

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the simulated model server; it is an http.Handler.
type Server struct {
	cfg      Config
	accuracy func(model string) float64
	models   map[string]bool
	// modelList is the pre-encoded /v1/models body.
	modelList []byte
	idx       *index
	// slots holds one token per request being processed; nil when capacity is unlimited.
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	// seq numbers generation requests from 1.
	seq atomic.Int64
	m   metrics
	// hangHook, when set (by tests), is called when a request starts hanging.
	hangHook func()
}

// New returns a server for cfg, with its datasets loaded and indexed.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sim config: %w", err)
	}
	if len(cfg.Models) == 0 {
		cfg.Models = []string{DefaultModel}
	}
	s := &Server{
		cfg:    cfg,
		models: make(map[string]bool, len(cfg.Models)),
		idx:    newIndex(),
		done:   make(chan struct{}),
	}
	for _, m := range cfg.Models {
		s.models[m] = true
	}
	acc := make(map[string]float64, len(cfg.ModelAccuracy))
	for m, a := range cfg.ModelAccuracy {
		acc[m] = a
	}
	s.accuracy = func(model string) float64 {
		if a, ok := acc[model]; ok {
			return a
		}
		return cfg.Accuracy
	}
	if cfg.Capacity > 0 {
		s.slots = make(chan struct{}, cfg.Capacity)
	}
	for _, path := range cfg.Datasets {
		if err := s.idx.load(path); err != nil {
			return nil, err
		}
	}
	list, err := json.Marshal(s.modelListBody())
	if err != nil {
		return nil, fmt.Errorf("encode model list: %w", err)
	}
	s.modelList = append(list, '\n')
	return s, nil
}

// Close releases hung requests (their connections are closed without a response). It does
// not stop an http.Server; call it before shutting one down. It is safe to call twice.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// Models returns the served model ids.
func (s *Server) Models() []string {
	return append([]string(nil), s.cfg.Models...)
}

// Records returns the number of recognisable records loaded.
func (s *Server) Records() int { return len(s.idx.byID) }

// Lookup returns the id of the record a prompt asks about, as the server recognises it.
func (s *Server) Lookup(prompt string) (id string, ok bool) {
	if r := s.idx.lookup(prompt); r != nil {
		return r.id, true
	}
	return "", false
}

// Answer returns the reply the server gives model for record id.
func (s *Server) Answer(model, id string) (Answer, bool) {
	r := s.idx.byID[id]
	if r == nil {
		return Answer{}, false
	}
	return s.answer(model, r), true
}

// Expected returns record id's gold answer and whether model answers it correctly; ok is
// false for an unknown id.
func (s *Server) Expected(model, id string) (gold string, correct bool, ok bool) {
	a, ok := s.Answer(model, id)
	return a.Gold, a.Correct, ok
}

// ServeHTTP routes a request and counts it by route and status code.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := routeIndex(r.URL.Path)
	if code := s.serve(route, w, r); code != codeCounted {
		s.m.requests[route][codeIndex(code)].Add(1)
	}
}

// serve answers r and returns the status code written (codeNone for none, codeCounted
// when already counted).
func (s *Server) serve(route int, w http.ResponseWriter, r *http.Request) int {
	if s.cfg.APIKey != "" && (r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/")) && !s.authorized(r) {
		return writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"Incorrect or missing API key: send it as \"Authorization: Bearer KEY\".")
	}
	if code, ok := s.serveFlavor(route, w, r); ok {
		return code
	}
	switch route {
	case rChat, rCompletions:
		if r.Method != http.MethodPost {
			return methodNotAllowed(w, http.MethodPost)
		}
		return s.generate(w, r, route)
	case rModels:
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, http.MethodGet)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.modelList)
		return http.StatusOK
	case rHealth:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{\"status\":\"ok\"}\n"))
		return http.StatusOK
	case rMetrics:
		return s.writeMetrics(w)
	}
	return writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "No route "+r.Method+" "+r.URL.Path+".")
}

// writeMetrics answers with the Prometheus exposition.
func (s *Server) writeMetrics(w http.ResponseWriter) int {
	var b bytes.Buffer
	s.appendMetrics(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes())
	return http.StatusOK
}

// serveFlavor answers the routes that differ between the imitated servers (Config.Flavor);
// ok is false for the routes every flavor shares.
func (s *Server) serveFlavor(route int, w http.ResponseWriter, r *http.Request) (code int, ok bool) {
	notFound := func() (int, bool) {
		return writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "No route "+r.Method+" "+r.URL.Path+"."), true
	}
	switch s.cfg.Flavor {
	case FlavorSGLang:
		if r.URL.Path == RouteModelInfo {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, "{\"model_path\":%q,\"is_generation\":true}\n", s.cfg.Models[0])
			return http.StatusOK, true
		}
	case FlavorNIM:
		switch r.URL.Path {
		case RouteNIMReady, RouteNIMLive:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{\"object\":\"health.response\",\"message\":\"Service is ready.\"}\n"))
			return http.StatusOK, true
		case RouteNIMMetrics:
			return s.writeMetrics(w), true
		case RouteHealth, RouteMetrics: // NIM serves these under /v1
			return notFound()
		}
	}
	return 0, false
}

func (s *Server) authorized(r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(s.cfg.APIKey)) == 1
}

// modelEntry is one item of /v1/models.
type modelEntry struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	Created     int64  `json:"created"`
	OwnedBy     string `json:"owned_by"`
	MaxModelLen int    `json:"max_model_len,omitempty"`
}

type modelList struct {
	Object string       `json:"object"`
	Data   []modelEntry `json:"data"`
}

func (s *Server) modelListBody() modelList {
	l := modelList{Object: "list", Data: make([]modelEntry, 0, len(s.cfg.Models))}
	for _, m := range s.cfg.Models {
		l.Data = append(l.Data, modelEntry{ID: m, Object: "model", OwnedBy: "evalplan-sim", MaxModelLen: s.cfg.MaxModelLen})
	}
	return l
}

// apiError is an OpenAI-style error body.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// writeError writes an OpenAI-style error and returns status.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) int {
	body := apiError{Error: apiErrorBody{Message: msg, Type: typ}}
	if code != "" {
		body.Error.Code = &code
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
	return status
}

func methodNotAllowed(w http.ResponseWriter, allow string) int {
	w.Header().Set("Allow", allow)
	return writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "Use "+allow+".")
}

// acquire waits for a processing slot in arrival order and returns how many requests are
// processing, this one included; ok is false when ctx ends first.
func (s *Server) acquire(ctx context.Context) (running int64, ok bool) {
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
		default:
			raise(&s.m.maxQueued, s.m.queued.Add(1))
			select {
			case s.slots <- struct{}{}:
				s.m.queued.Add(-1)
			case <-ctx.Done():
				s.m.queued.Add(-1)
				return 0, false
			}
		}
	}
	return s.m.enter(), true
}

// preempt is the KV-cache model (Config.KVCache): a request that starts with running
// requests past the cache is preempted, and d grows by (running ÷ KVCache)².
func (s *Server) preempt(d time.Duration, running int64) time.Duration {
	kv := int64(s.cfg.KVCache)
	if kv <= 0 || running <= kv {
		return d
	}
	s.m.preemptions.Add(1)
	f := float64(running) / float64(kv)
	return time.Duration(float64(d) * f * f)
}

// release frees the slot acquire took.
func (s *Server) release() {
	s.m.inflight.Add(-1)
	if s.slots != nil {
		<-s.slots
	}
}

// delay waits d or until ctx ends; it reports whether the full delay passed.
func delay(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
