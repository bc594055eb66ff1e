package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

// Bounds on what the client reads of a 2xx response, so that a misbehaving server cannot
// make it hold gigabytes: a larger reply is ErrTooLarge.
const (
	// maxBody bounds a completion body, and the text accumulated from a stream.
	maxBody = 32 << 20
	// maxModelsBody bounds a GET /models body.
	maxModelsBody = 4 << 20
	// maxEventLine bounds one line of an event stream (one chunk, typically a token).
	maxEventLine = 1 << 20
)

// maxErrorBody is how much of a non-2xx body a StatusError keeps.
const maxErrorBody = 512

// ClientOptions configures a Client.
type ClientOptions struct {
	// BaseURL is the server's OpenAI-compatible base URL, ending in /v1.
	BaseURL string
	// APIKey, when set, is sent as a bearer token. It never appears in errors.
	APIKey string
	// Headers are extra request headers; they override the defaults (Authorization
	// included). Their values never appear in errors.
	Headers map[string]string
	// Secrets are further strings that never appear in errors, e.g. the parts of a sensitive
	// URL. The API key, header values and BaseURL's credentials (user information,
	// credential-like query parameters) are always among them.
	Secrets []string
	// AllowCrossHostRedirects lets the client follow a redirect to another host, without
	// the API key and headers. By default such a redirect is an error: the credentials were
	// meant for the configured host only.
	AllowCrossHostRedirects bool
	// Timeout bounds one request, reading the whole body included; 0 means none.
	Timeout time.Duration
	// MaxConns is the keep-alive pool size; size it to the request concurrency.
	MaxConns int
	// Stream asks for server-sent events with a final usage chunk.
	Stream bool
	// HTTPClient, when set, replaces the client's own HTTP client (tests).
	HTTPClient *http.Client
}

// Client sends requests to one OpenAI-compatible server over one keep-alive pool. It is
// safe for concurrent use.
type Client struct {
	base    string
	apiKey  string
	headers map[string]string
	timeout time.Duration
	stream  bool
	http    *http.Client
	// secrets are the strings scrubbed from bodies quoted in errors.
	secrets []string
}

// NewClient returns a Client for o. Without o.HTTPClient it builds one transport with
// MaxIdleConnsPerHost = o.MaxConns.
func NewClient(o ClientOptions) *Client {
	c := &Client{
		base:    strings.TrimRight(o.BaseURL, "/"),
		apiKey:  o.APIKey,
		headers: make(map[string]string, len(o.Headers)),
		timeout: o.Timeout,
		stream:  o.Stream,
		http:    o.HTTPClient,
	}
	for k, v := range o.Headers {
		c.headers[k] = v
		c.secrets = append(c.secrets, v)
	}
	c.secrets = append(c.secrets, o.APIKey)
	c.secrets = append(c.secrets, config.URLSecrets(o.BaseURL)...)
	c.secrets = append(c.secrets, o.Secrets...)
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if o.MaxConns > 0 {
			t.MaxIdleConnsPerHost = o.MaxConns
			if t.MaxIdleConns < o.MaxConns {
				t.MaxIdleConns = o.MaxConns
			}
		}
		c.http = &http.Client{Transport: t}
	}
	c.http = c.withRedirectPolicy(c.http, o.AllowCrossHostRedirects)
	return c
}

// CloseIdleConnections closes the keep-alive connections of the client's pool.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Errors of a Client. Test them with errors.Is.
var (
	// ErrMalformed marks a 2xx response whose body does not parse or has no choices.
	ErrMalformed = errors.New("malformed response")
	// ErrNoAnswer marks a 2xx response that parses but carries nothing to score: an empty
	// choices list, a choice whose content is null or absent, or only a refusal. It wraps
	// ErrMalformed, so it is retried like one and never cached. (A content of "" is an
	// answer: the model said nothing.)
	ErrNoAnswer = fmt.Errorf("%w: no answer", ErrMalformed)
	// ErrTimeout marks a request that ran past ClientOptions.Timeout.
	ErrTimeout = errors.New("request timed out")
	// ErrTooLarge marks a 2xx response larger than the client reads (32 MiB for a
	// completion, 4 MiB for /models, 1 MiB for one event-stream line). It is not retried:
	// the same request would get the same reply.
	ErrTooLarge = errors.New("response too large")
)

// readLimited reads all of r, or fails with ErrTooLarge when r holds more than n bytes.
func readLimited(r io.Reader, n int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, n+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > n {
		return nil, tooLarge("body", n)
	}
	return data, nil
}

// tooLarge is the ErrTooLarge error of what, over n bytes.
func tooLarge(what string, n int64) error {
	return fmt.Errorf("%w: %s over %s; the server's reply is not what evalplan expects of a completion", ErrTooLarge, what, size(n))
}

// size writes n bytes in MiB or KiB.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// StatusError is a non-2xx HTTP response.
type StatusError struct {
	Code int
	// RetryAfter is the server's Retry-After (seconds or HTTP date); 0 when absent.
	RetryAfter time.Duration
	// Body is the start of the response body (at most 512 bytes), secrets removed.
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("server returned HTTP %d %s", e.Code, http.StatusText(e.Code))
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// wireRequest is the JSON body of a chat or completions request.
type wireRequest struct {
	Model         string         `json:"model"`
	Messages      []Message      `json:"messages,omitempty"`
	Prompt        *string        `json:"prompt,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	MaxTokens     int            `json:"max_tokens,omitempty"`
	Seed          *int           `json:"seed,omitempty"`
	Stop          []string       `json:"stop,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// wireBody builds the transport-independent body of req and the path it is sent to.
func wireBody(req *Request) (*wireRequest, string, error) {
	w := &wireRequest{
		Model:       req.Model,
		Temperature: req.Temperature,
		TopP:        req.TopP,
		MaxTokens:   req.MaxTokens,
		Seed:        req.Seed,
		Stop:        req.Stop,
	}
	switch req.Kind {
	case KindChat, "":
		w.Messages = req.Messages
		return w, "/chat/completions", nil
	case KindCompletions:
		p := req.Prompt
		w.Prompt = &p
		return w, "/completions", nil
	default:
		return nil, "", fmt.Errorf("unknown request kind %q (want %q or %q)", req.Kind, KindChat, KindCompletions)
	}
}

// BodyKey returns the canonical JSON of req's body without transport fields (stream,
// stream_options): equal requests give equal bytes. It is the response-cache key. A raw
// Body is keyed by its path and its JSON with keys sorted, behind a prefix that no
// structured request's key has.
func BodyKey(req *Request) ([]byte, error) {
	if req.Body != nil {
		return rawKey(req)
	}
	// The path is implied by messages versus prompt, so the body alone identifies it.
	w, _, err := wireBody(req)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return req.Edits.apply(b) // intercept.go
}

// rawPrefix starts the BodyKey of a raw Body.
const rawPrefix = "raw "

// rawKey is the BodyKey of a raw Body: "raw <path> " and its canonical JSON.
func rawKey(req *Request) ([]byte, error) {
	path, err := requestPath(req.Kind)
	if err != nil {
		return nil, err
	}
	body, err := CanonicalBody(req.Body)
	if err != nil {
		return nil, err
	}
	return append([]byte(rawPrefix+path+" "), body...), nil
}

// CanonicalBody is a request body b re-encoded with sorted keys and without the transport
// fields stream and stream_options: two bodies asking the same are equal. Numbers keep their
// text.
func CanonicalBody(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	if m == nil {
		return nil, errors.New("request body: want a JSON object")
	}
	delete(m, "stream")
	delete(m, "stream_options")
	return json.Marshal(m)
}

// requestPath is the path of a kind of request under the base URL.
func requestPath(kind string) (string, error) {
	switch kind {
	case KindChat, "":
		return "/chat/completions", nil
	case KindCompletions:
		return "/completions", nil
	}
	return "", fmt.Errorf("unknown request kind %q (want %q or %q)", kind, KindChat, KindCompletions)
}

// Do sends req and returns the generated text. Response.Attempts is 1.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if req.Body != nil {
		return c.doRaw(ctx, req)
	}
	w, path, err := wireBody(req)
	if err != nil {
		return nil, err
	}
	if c.stream {
		w.Stream = true
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	if body, err = req.Edits.apply(body); err != nil { // intercept.go
		return nil, err
	}
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	hr, err := c.newRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	if c.stream {
		hr.Header.Set("Accept", "text/event-stream")
	}
	res, err := c.send(ctx, hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var resp *Response
	stream := isEventStream(res.Header.Get("Content-Type"))
	if !stream && res.ContentLength > maxBody {
		return nil, fmt.Errorf("POST %s: %w", path, tooLarge("body", maxBody))
	}
	if stream {
		resp, err = readStream(res.Body)
	} else {
		resp, err = readCompletion(res.Body)
	}
	if err != nil {
		return nil, c.bodyError(ctx, "POST "+path, err)
	}
	resp.Attempts = 1
	return resp, nil
}

// doRaw sends a raw Body, never streamed, and keeps the whole reply in Response.Body. The
// reply is checked as any other: a 200 without an answer is ErrNoAnswer.
func (c *Client) doRaw(ctx context.Context, req *Request) (*Response, error) {
	path, err := requestPath(req.Kind)
	if err != nil {
		return nil, err
	}
	body, err := CanonicalBody(req.Body)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	hr, err := c.newRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	res, err := c.send(ctx, hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.ContentLength > maxBody {
		return nil, fmt.Errorf("POST %s: %w", path, tooLarge("body", maxBody))
	}
	data, err := readLimited(res.Body, maxBody)
	if err != nil {
		return nil, c.bodyError(ctx, "POST "+path, err)
	}
	resp, err := readCompletion(bytes.NewReader(data))
	if err != nil {
		return nil, c.bodyError(ctx, "POST "+path, err)
	}
	resp.Body, resp.Attempts = data, 1
	return resp, nil
}

// Model is one entry of GET /models.
type Model struct {
	ID string `json:"id"`
	// MaxModelLen is the context length a server reports (vLLM does); 0 when absent.
	MaxModelLen int `json:"max_model_len"`
}

// Models lists the models the server serves (GET {base}/models).
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	hr, err := c.newRequest(ctx, http.MethodGet, "/models", nil)
	if err != nil {
		return nil, err
	}
	res, err := c.send(ctx, hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var list struct {
		Data *[]Model `json:"data"`
	}
	if res.ContentLength > maxModelsBody {
		return nil, fmt.Errorf("GET /models: %w", tooLarge("body", maxModelsBody))
	}
	data, err := readLimited(res.Body, maxModelsBody)
	if err != nil {
		return nil, c.bodyError(ctx, "GET /models", err)
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("GET /models: %w: %v", ErrMalformed, err)
	}
	if list.Data == nil {
		return nil, fmt.Errorf("GET /models: %w: no \"data\" list", ErrMalformed)
	}
	return *list.Data, nil
}

// requestContext applies the per-request timeout, marking its expiry with ErrTimeout.
func (c *Client) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, c.timeout, ErrTimeout)
}

func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		// The URL comes from configuration; the error names it but no secret.
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "evalplan")
	if c.apiKey != "" {
		hr.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	for k, v := range c.headers {
		hr.Header.Set(k, v)
	}
	return hr, nil
}

// send performs hr and turns transport failures and non-2xx responses into errors. On
// success the caller closes the body.
func (c *Client) send(ctx context.Context, hr *http.Request) (*http.Response, error) {
	op := hr.Method + " " + strings.TrimPrefix(hr.URL.Path, baseKey(c.base))
	res, err := c.http.Do(hr)
	if err != nil {
		return nil, c.transportError(ctx, op, err)
	}
	if res.StatusCode/100 == 2 {
		return res, nil
	}
	defer res.Body.Close()
	return nil, fmt.Errorf("%s: %w", op, &StatusError{
		Code:       res.StatusCode,
		RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), time.Now()),
		Body:       c.errorBody(res.Body),
	})
}

// baseKey is the path part of the base URL, stripped from operation names.
func baseKey(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Path
}

// transportError wraps a failure to send or read, telling a per-request timeout from the
// caller's own cancellation. *url.Error is unwrapped: op already names the request.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("%s: %w after %s", op, ErrTimeout, c.timeout)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// bodyError classifies an error met while reading a 2xx body.
func (c *Client) bodyError(ctx context.Context, op string, err error) error {
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return c.transportError(ctx, op, err)
}

// errorBody is the start of a non-2xx body as a StatusError keeps it: scrubbed of every
// credential the client sent (a server may echo the Authorization header or the URL), then
// cut to maxErrorBody bytes, so that no secret is cut in two and half of it kept.
func (c *Client) errorBody(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody+int64(c.longestSecret())))
	s := c.scrub(string(b))
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody]
	}
	return strings.ToValidUTF8(s, "")
}

// longestSecret is the length of the longest string scrubbed.
func (c *Client) longestSecret() int {
	n := 0
	for _, v := range c.secrets {
		n = max(n, len(v))
	}
	return n
}

// scrub removes every credential the client sends from s.
func (c *Client) scrub(s string) string { return config.Scrub(s, c.secrets) }

func isEventStream(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/event-stream"
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}
