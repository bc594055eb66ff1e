package mlflow

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

// Client talks to one MLflow tracking server over its REST API. It is safe for concurrent use.
type Client struct {
	base *url.URL
	auth string // Authorization header value; never printed
	http *http.Client
	// secrets are the credentials the client sends, scrubbed from the server's error
	// messages (a server or proxy may echo the Authorization header or the URL).
	secrets []string
}

// Auth is how a Client authenticates.
type Auth struct {
	// Token is sent as "Authorization: Bearer TOKEN" (MLFLOW_TRACKING_TOKEN).
	Token string
	// Username and Password are sent as basic auth (MLFLOW_TRACKING_USERNAME and
	// MLFLOW_TRACKING_PASSWORD); they take precedence over Token, as in MLflow's client.
	Username, Password string
}

// AuthFromEnv reads MLflow's client variables through getenv.
func AuthFromEnv(getenv func(string) string) Auth {
	return Auth{
		Token:    getenv("MLFLOW_TRACKING_TOKEN"),
		Username: getenv("MLFLOW_TRACKING_USERNAME"),
		Password: getenv("MLFLOW_TRACKING_PASSWORD"),
	}
}

// NewClient returns a client of the tracking server at uri (http or https). A nil hc uses a
// client with connection and response-header timeouts.
func NewClient(uri string, auth Auth, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(uri, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracking URI %q: want http://HOST:PORT or https://HOST[:PORT]", redact(uri))
	}
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			ResponseHeaderTimeout: 120 * time.Second,
			MaxIdleConnsPerHost:   4,
		}}
	}
	c := &Client{base: u, http: hc}
	switch {
	case auth.Username != "" && auth.Password != "":
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(auth.Username+":"+auth.Password))
	case auth.Token != "":
		c.auth = "Bearer " + auth.Token
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok && c.auth == "" {
			c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p))
		}
		c.base.User = nil
	}
	c.secrets = append(config.URLSecrets(uri), auth.Token, auth.Username+":"+auth.Password, auth.Password)
	if _, cred, ok := strings.Cut(c.auth, " "); ok {
		c.secrets = append(c.secrets, cred)
	}
	return c, nil
}

// URI is the tracking URI without credentials.
func (c *Client) URI() string { return c.base.String() }

// APIError is an error answer of the tracking server.
type APIError struct {
	Method, Path string
	Status       int
	// Code is MLflow's error_code (RESOURCE_DOES_NOT_EXIST, ...), "" when the body was not JSON.
	Code    string
	Message string
}

func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	return fmt.Sprintf("MLflow %s %s: %d %s: %s", e.Method, e.Path, e.Status, code, e.Message)
}

// HasCode reports whether err is an APIError with the given MLflow error code.
func HasCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// UnreachableError says that nothing answered at the tracking URI.
type UnreachableError struct {
	URI string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("MLflow tracking server at %s is not reachable: %v", e.URI, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body io.Reader, size int64, contentType string, out any) error {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	if query != nil {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("MLflow %s %s: %w", method, path, err)
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("MLflow %s %s: %w", method, path, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{URI: c.URI(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("MLflow %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return c.apiError(method, path, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err := w.Write(data)
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("MLflow %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// apiError is a non-2xx answer as an *APIError, its message scrubbed of the client's
// credentials.
func (c *Client) apiError(method, path string, status int, data []byte) error {
	data = []byte(config.Scrub(string(data), c.secrets))
	e := &APIError{Method: method, Path: path, Status: status}
	var body struct {
		Code    string `json:"error_code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &body) == nil && (body.Code != "" || body.Message != "") {
		e.Code, e.Message = body.Code, body.Message
	} else {
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 500 {
			e.Message = e.Message[:500] + "…"
		}
	}
	return e
}

func (c *Client) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, nil, 0, "", out)
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("MLflow POST %s: encode request: %w", path, err)
	}
	return c.do(ctx, http.MethodPost, path, nil, bytes.NewReader(b), int64(len(b)), "application/json", out)
}

// Health reports nil when GET /health answers 200.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/health", nil, nil, 0, "", nil)
}

// Version returns the server's version (GET /version).
func (c *Client) Version(ctx context.Context) (string, error) {
	var b bytes.Buffer
	if err := c.do(ctx, http.MethodGet, "/version", nil, nil, 0, "", &b); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// Tag is a key/value pair of a run or an experiment.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Param is a run parameter.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Metric is one logged metric value.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

// Experiment is an MLflow experiment.
type Experiment struct {
	ID               string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location"`
	LifecycleStage   string `json:"lifecycle_stage"`
	Tags             []Tag  `json:"tags"`
}

// RunInfo is a run's metadata.
type RunInfo struct {
	RunID          string `json:"run_id"`
	RunName        string `json:"run_name"`
	ExperimentID   string `json:"experiment_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        int64  `json:"end_time"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
}

// RunData is what was logged to a run.
type RunData struct {
	Metrics []Metric `json:"metrics"`
	Params  []Param  `json:"params"`
	Tags    []Tag    `json:"tags"`
}

// Run is an MLflow run.
type Run struct {
	Info RunInfo `json:"info"`
	Data RunData `json:"data"`
}

// Tag returns the value of the run's tag key and whether it is set.
func (r *Run) Tag(key string) (string, bool) {
	for _, t := range r.Data.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// ExperimentByName returns the experiment named name; an APIError with code
// RESOURCE_DOES_NOT_EXIST when there is none.
func (c *Client) ExperimentByName(ctx context.Context, name string) (*Experiment, error) {
	var out struct {
		Experiment Experiment `json:"experiment"`
	}
	if err := c.getJSON(ctx, "/api/2.0/mlflow/experiments/get-by-name", url.Values{"experiment_name": {name}}, &out); err != nil {
		return nil, err
	}
	return &out.Experiment, nil
}

// CreateExperiment creates an experiment and returns its id.
func (c *Client) CreateExperiment(ctx context.Context, name string) (string, error) {
	var out struct {
		ID string `json:"experiment_id"`
	}
	if err := c.postJSON(ctx, "/api/2.0/mlflow/experiments/create", map[string]any{"name": name}, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// EnsureExperiment returns the active experiment named name, creating it when missing. A
// concurrent creation (RESOURCE_ALREADY_EXISTS) is resolved by reading it again.
func (c *Client) EnsureExperiment(ctx context.Context, name string) (*Experiment, error) {
	exp, err := c.ExperimentByName(ctx, name)
	if err == nil {
		if exp.LifecycleStage == "deleted" {
			return nil, fmt.Errorf("MLflow experiment %q is deleted: restore it in the MLflow UI (or `mlflow experiments restore`), or choose another experiment name", name)
		}
		return exp, nil
	}
	if !HasCode(err, "RESOURCE_DOES_NOT_EXIST") {
		return nil, err
	}
	if _, err := c.CreateExperiment(ctx, name); err != nil && !HasCode(err, "RESOURCE_ALREADY_EXISTS") {
		return nil, fmt.Errorf("create MLflow experiment %q: %w", name, err)
	}
	return c.ExperimentByName(ctx, name)
}

// SearchExperiments returns every active experiment.
func (c *Client) SearchExperiments(ctx context.Context) ([]Experiment, error) {
	var all []Experiment
	token := ""
	for {
		req := map[string]any{"max_results": 1000, "view_type": "ACTIVE_ONLY"}
		if token != "" {
			req["page_token"] = token
		}
		var out struct {
			Experiments []Experiment `json:"experiments"`
			Next        string       `json:"next_page_token"`
		}
		if err := c.postJSON(ctx, "/api/2.0/mlflow/experiments/search", req, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Experiments...)
		if out.Next == "" {
			return all, nil
		}
		token = out.Next
	}
}

// CreateRun creates a run in experiment expID.
func (c *Client) CreateRun(ctx context.Context, expID, name string, start time.Time, tags []Tag) (*Run, error) {
	req := map[string]any{"experiment_id": expID, "run_name": name, "start_time": start.UnixMilli(), "tags": tags}
	var out struct {
		Run Run `json:"run"`
	}
	if err := c.postJSON(ctx, "/api/2.0/mlflow/runs/create", req, &out); err != nil {
		return nil, fmt.Errorf("create MLflow run: %w", err)
	}
	return &out.Run, nil
}

// GetRun returns a run with everything logged to it.
func (c *Client) GetRun(ctx context.Context, runID string) (*Run, error) {
	var out struct {
		Run Run `json:"run"`
	}
	if err := c.getJSON(ctx, "/api/2.0/mlflow/runs/get", url.Values{"run_id": {runID}}, &out); err != nil {
		return nil, err
	}
	return &out.Run, nil
}

// SearchRuns returns the active runs of the experiments that match filter (MLflow's search
// syntax; "" for all), newest first, following every page.
func (c *Client) SearchRuns(ctx context.Context, expIDs []string, filter string) ([]Run, error) {
	var all []Run
	token := ""
	for {
		req := map[string]any{
			"experiment_ids": expIDs, "filter": filter, "run_view_type": "ACTIVE_ONLY",
			"max_results": 1000, "order_by": []string{"attributes.start_time DESC"},
		}
		if token != "" {
			req["page_token"] = token
		}
		var out struct {
			Runs []Run  `json:"runs"`
			Next string `json:"next_page_token"`
		}
		if err := c.postJSON(ctx, "/api/2.0/mlflow/runs/search", req, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Runs...)
		if out.Next == "" {
			return all, nil
		}
		token = out.Next
	}
}

// Batch limits of one runs/log-batch request (mlflow.md §2, mlflow/utils/validation.py).
const (
	MaxMetricsPerBatch    = 1000
	MaxParamsTagsPerBatch = 100
	// maxBatchBytes stays below the documented 1 MB request limit.
	maxBatchBytes = 900_000
)

// LogBatch logs metrics, params and tags to a run, split into as many requests as MLflow's
// per-request limits require (params and tags 100 each, metrics 1000, under 1 MB).
func (c *Client) LogBatch(ctx context.Context, runID string, metrics []Metric, params []Param, tags []Tag) error {
	for _, b := range batches(metrics, params, tags) {
		// MLflow refuses null lists: send only the non-empty ones.
		req := map[string]any{"run_id": runID}
		if len(b.metrics) > 0 {
			req["metrics"] = b.metrics
		}
		if len(b.params) > 0 {
			req["params"] = b.params
		}
		if len(b.tags) > 0 {
			req["tags"] = b.tags
		}
		if err := c.postJSON(ctx, "/api/2.0/mlflow/runs/log-batch", req, nil); err != nil {
			return fmt.Errorf("log to MLflow run %s: %w", runID, err)
		}
	}
	return nil
}

type batch struct {
	metrics []Metric
	params  []Param
	tags    []Tag
	bytes   int
}

// batches splits entities into requests within the limits: at most 100 params, 100 tags,
// 1000 metrics and 1000 entities in all, and about 900 kB of keys and values.
func batches(metrics []Metric, params []Param, tags []Tag) []batch {
	var out []batch
	cur := batch{}
	flush := func() {
		if len(cur.metrics)+len(cur.params)+len(cur.tags) > 0 {
			out = append(out, cur)
		}
		cur = batch{}
	}
	room := func(n int) {
		total := len(cur.metrics) + len(cur.params) + len(cur.tags)
		if total >= MaxMetricsPerBatch || cur.bytes+n > maxBatchBytes {
			flush()
		}
	}
	for _, p := range params {
		n := len(p.Key) + len(p.Value) + 32
		room(n)
		if len(cur.params) >= MaxParamsTagsPerBatch {
			flush()
		}
		cur.params = append(cur.params, p)
		cur.bytes += n
	}
	for _, t := range tags {
		n := len(t.Key) + len(t.Value) + 32
		room(n)
		if len(cur.tags) >= MaxParamsTagsPerBatch {
			flush()
		}
		cur.tags = append(cur.tags, t)
		cur.bytes += n
	}
	for _, m := range metrics {
		n := len(m.Key) + 80
		room(n)
		cur.metrics = append(cur.metrics, m)
		cur.bytes += n
	}
	flush()
	return out
}

// SetTag sets one tag of a run.
func (c *Client) SetTag(ctx context.Context, runID, key, value string) error {
	return c.postJSON(ctx, "/api/2.0/mlflow/runs/set-tag", map[string]string{"run_id": runID, "key": key, "value": value}, nil)
}

// FinishRun sets a run's status (FINISHED, FAILED, KILLED) and end time.
func (c *Client) FinishRun(ctx context.Context, runID, status string, end time.Time) error {
	req := map[string]any{"run_id": runID, "status": status, "end_time": end.UnixMilli()}
	if err := c.postJSON(ctx, "/api/2.0/mlflow/runs/update", req, nil); err != nil {
		return fmt.Errorf("finish MLflow run %s: %w", runID, err)
	}
	return nil
}

// artifactURL maps a run's artifact_uri and a run-relative path to the URL of the tracking
// server's artifact proxy (MlflowArtifactsRepository.resolve_uri, mlflow.md §3):
// mlflow-artifacts:/1/abc/artifacts → BASE/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts.
// An http(s) artifact URI is used as it is.
func (c *Client) artifactURL(artifactURI, rel string) (string, error) {
	u, err := url.Parse(artifactURI)
	if err != nil {
		return "", fmt.Errorf("artifact URI %q: %w", artifactURI, err)
	}
	switch u.Scheme {
	case "mlflow-artifacts":
		t := *c.base
		if u.Host != "" {
			t.Host = u.Host
		}
		t.Path = strings.TrimRight(c.base.Path, "/") + "/api/2.0/mlflow-artifacts/artifacts/" + strings.Trim(u.Path, "/") + "/" + rel
		t.Path = collapseSlashes(t.Path)
		return t.String(), nil
	case "http", "https":
		u.Path = collapseSlashes(strings.TrimRight(u.Path, "/") + "/" + rel)
		return u.String(), nil
	}
	return "", fmt.Errorf("artifact URI %q is not served by the tracking server's artifact proxy: start the server with --serve-artifacts and --artifacts-destination, not --default-artifact-root (evalplan uploads only through the proxy)", artifactURI)
}

func collapseSlashes(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

// CheckArtifactRoot reports an error when runs of an experiment with this artifact location
// could not be uploaded through the proxy.
func (c *Client) CheckArtifactRoot(location string) error {
	_, err := c.artifactURL(location, "x")
	return err
}

// UploadArtifact writes size bytes from r to rel (a slash-separated path relative to the
// run's artifact root) through the artifact proxy with one PUT.
func (c *Client) UploadArtifact(ctx context.Context, artifactURI, rel string, r io.Reader, size int64) error {
	target, err := c.artifactURL(artifactURI, rel)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, r)
	if err != nil {
		return fmt.Errorf("upload artifact %s: %w", rel, err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	return c.send(ctx, req, "upload artifact "+rel, nil)
}

// DownloadArtifact returns the bytes of a run's artifact rel through the artifact proxy.
func (c *Client) DownloadArtifact(ctx context.Context, artifactURI, rel string) ([]byte, error) {
	target, err := c.artifactURL(artifactURI, rel)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("download artifact %s: %w", rel, err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	var b bytes.Buffer
	err = c.send(ctx, req, "download artifact "+rel, &b)
	return b.Bytes(), err
}

func (c *Client) send(ctx context.Context, req *http.Request, what string, out io.Writer) error {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{URI: c.URI(), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%s: %w", what, c.apiError(req.Method, req.URL.Path, resp.StatusCode, data))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		_, err = io.Copy(out, resp.Body)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Artifact is an entry of a run's artifact listing.
type Artifact struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize int64  `json:"file_size"`
}

// ListArtifacts lists a run's artifacts under path ("" for the root).
func (c *Client) ListArtifacts(ctx context.Context, runID, path string) ([]Artifact, error) {
	var out struct {
		Files []Artifact `json:"files"`
	}
	q := url.Values{"run_id": {runID}}
	if path != "" {
		q.Set("path", path)
	}
	if err := c.getJSON(ctx, "/api/2.0/mlflow/artifacts/list", q, &out); err != nil {
		return nil, err
	}
	return out.Files, nil
}

// quote renders s as a single-quoted string literal of MLflow's search syntax.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "\\'") + "'"
}
