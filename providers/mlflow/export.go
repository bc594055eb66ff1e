package mlflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/plan/rundir"
)

// Tags evalplan sets on every MLflow run.
const (
	TagAddress   = "evalplan.address"
	TagIdentity  = "evalplan.identity"
	TagVersion   = "evalplan.version"
	TagGitCommit = "mlflow.source.git.commit"
	// TagSkipped lists the run directory's entries that were not uploaded: directories such
	// as cache/ and files over MaxArtifactSize.
	TagSkipped = "evalplan.artifacts_skipped"
	tagLogged  = "mlflow.loggedArtifacts"
)

// Exporter exports results to MLflow (exporter "mlflow" blocks). It implements plan.Exporter
// and is safe for concurrent use; use one per process, as a pointer.
type Exporter struct {
	// CacheDir is the configuration's cache_dir; a managed server lives in CacheDir/mlflow.
	CacheDir string
	// Getenv reads MLFLOW_TRACKING_URI, the credentials and EVALPLAN_MLFLOW; nil is os.Getenv.
	Getenv func(string) string
	// Notify receives notes for the user, such as a managed server being started; nil
	// discards them.
	Notify io.Writer
	// HTTP is the HTTP client; nil uses NewClient's default.
	HTTP *http.Client
	// Now returns the current time; nil is time.Now.
	Now func() time.Time

	mu          sync.Mutex
	experiments map[string]*Experiment // by URI + "\x00" + name
	temporary   []*Server              // managed servers started with keep_running = false
}

var _ plan.Exporter = (*Exporter)(nil)

func (e *Exporter) getenv(k string) string {
	if e.Getenv == nil {
		return os.Getenv(k)
	}
	return e.Getenv(k)
}

func (e *Exporter) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Client returns a client of the tracking server the settings name, with the credentials of
// the environment.
func (e *Exporter) Client(s Settings) (*Client, error) {
	return NewClient(s.TrackingURI, AuthFromEnv(e.getenv), e.HTTP)
}

// Export sends one run's result to MLflow and returns the MLflow run id. A run already
// tagged with rec.Identity in the experiment is reused: a finished one is returned as it is,
// an unfinished one (an export cut short) is completed.
func (e *Exporter) Export(ctx context.Context, x *config.Exporter, rec *plan.ExportRecord) (string, error) {
	s, err := ParseSettings(x, e.getenv)
	if err != nil {
		return "", err
	}
	c, err := e.Client(s)
	if err != nil {
		return "", err
	}
	if s.Managed {
		if err := e.ensureServer(ctx, s); err != nil {
			return "", err
		}
	}
	exp, err := e.experiment(ctx, c, s.Experiment)
	if err != nil {
		return "", hint(err, s)
	}
	run, err := e.findOrCreateRun(ctx, c, exp, s, rec)
	if err != nil {
		return "", hint(err, s)
	}
	if run.Info.Status == "FINISHED" {
		return run.Info.RunID, nil
	}
	if err := e.fill(ctx, c, run, s, rec); err != nil {
		return run.Info.RunID, hint(fmt.Errorf("MLflow run %s: %w", run.Info.RunID, err), s)
	}
	return run.Info.RunID, nil
}

// hint adds what to do to an unreachable-server error.
func hint(err error, s Settings) error {
	var ue *UnreachableError
	if !errors.As(err, &ue) || s.Managed {
		return err
	}
	return fmt.Errorf("%w; start it (for a local one: `evalplan mlflow start`, or add server { managed = true } to the exporter block)", err)
}

// ensureServer starts the managed server when nothing answers at its URI.
func (e *Exporter) ensureServer(ctx context.Context, s Settings) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	srv := s.Server(e.CacheDir)
	if srv.Healthy(ctx) {
		return nil
	}
	bin, err := FindBinary(e.getenv)
	if err != nil {
		return fmt.Errorf("no MLflow server answers at %s and none can be started: %w", redact(s.TrackingURI), err)
	}
	srv.Binary = bin
	started, err := srv.Start(ctx)
	if err != nil {
		return fmt.Errorf("start the managed MLflow server at %s: %w", redact(s.TrackingURI), err)
	}
	if !started {
		return nil
	}
	if !s.KeepRunning {
		e.temporary = append(e.temporary, srv)
	}
	if e.Notify != nil {
		if s.KeepRunning {
			fmt.Fprintf(e.Notify, "MLflow: started a tracking server at %s (store and artifacts in %s, log %s). It stays running for the UI: open %s; stop it with `evalplan mlflow stop`.\n", srv.URI(), srv.Dir, srv.LogPath(), srv.URI())
		} else {
			fmt.Fprintf(e.Notify, "MLflow: started a tracking server at %s (store and artifacts in %s); it stops when evalplan is done (keep_running = false).\n", srv.URI(), srv.Dir)
		}
	}
	return nil
}

// Close stops the managed servers this exporter started with keep_running = false.
func (e *Exporter) Close(ctx context.Context) error {
	e.mu.Lock()
	srvs := e.temporary
	e.temporary = nil
	e.mu.Unlock()
	var errs []error
	for _, s := range srvs {
		if _, err := s.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// experiment returns the experiment named name, creating it once per process.
func (e *Exporter) experiment(ctx context.Context, c *Client, name string) (*Experiment, error) {
	key := c.URI() + "\x00" + name
	e.mu.Lock()
	defer e.mu.Unlock()
	if exp := e.experiments[key]; exp != nil {
		return exp, nil
	}
	exp, err := c.EnsureExperiment(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := c.CheckArtifactRoot(exp.ArtifactLocation); err != nil {
		return nil, fmt.Errorf("MLflow experiment %q: %w", name, err)
	}
	if e.experiments == nil {
		e.experiments = map[string]*Experiment{}
	}
	e.experiments[key] = exp
	return exp, nil
}

// findOrCreateRun returns the experiment's run tagged with the identity (a finished one
// first), or a new run carrying the identity tag from its creation on.
func (e *Exporter) findOrCreateRun(ctx context.Context, c *Client, exp *Experiment, s Settings, rec *plan.ExportRecord) (*Run, error) {
	runs, err := c.SearchRuns(ctx, []string{exp.ID}, "tags.`"+TagIdentity+"` = "+quote(rec.Identity))
	if err != nil {
		return nil, fmt.Errorf("search MLflow runs: %w", err)
	}
	for i := range runs {
		if runs[i].Info.Status == "FINISHED" {
			return &runs[i], nil
		}
	}
	if len(runs) > 0 {
		return &runs[0], nil
	}
	name := runName(s.RunName, map[string]string{
		"suite": rec.Suite, "benchmark": rec.Benchmark, "endpoint": rec.Endpoint,
		"model": rec.Model, "harness": rec.Harness, "task": rec.Task, "identity": display.ShortID(rec.Identity),
	})
	tags := []Tag{{Key: TagIdentity, Value: rec.Identity}, {Key: TagAddress, Value: truncate(rec.Address, MaxTagValueLength)}}
	return c.CreateRun(ctx, exp.ID, name, e.now(), tags)
}

// fill logs params, metrics, tags and artifacts to run and marks it FINISHED.
func (e *Exporter) fill(ctx context.Context, c *Client, run *Run, s Settings, rec *plan.ExportRecord) error {
	now := e.now()
	arts, err := runFiles(rec.RunDir)
	if err != nil {
		return err
	}
	if err := c.LogBatch(ctx, run.Info.RunID, Metrics(rec.Result, now), FlattenParams(rec.Inputs), e.tags(ctx, s, rec, arts.Skipped)); err != nil {
		return err
	}
	if err := e.uploadArtifacts(ctx, c, run, rec.RunDir, arts.Files); err != nil {
		return err
	}
	return c.FinishRun(ctx, run.Info.RunID, "FINISHED", e.now())
}

// tags returns the run's tags: evalplan's, the run's description, the git commit of the
// configuration, then the block's tags (which may override all but evalplan.*). skipped are
// the run directory's entries not uploaded, listed in evalplan.artifacts_skipped.
func (e *Exporter) tags(ctx context.Context, s Settings, rec *plan.ExportRecord, skipped []string) []Tag {
	m := map[string]string{
		TagAddress: rec.Address, TagIdentity: rec.Identity, TagVersion: rec.EvalplanVersion,
		"model": rec.Model, "endpoint": rec.Endpoint, "suite": rec.Suite,
		"benchmark": rec.Benchmark, "harness": rec.Harness, "task": rec.Task,
		"mlflow.source.name": "evalplan", "mlflow.source.type": "LOCAL",
		"mlflow.note.content": note(rec, skipped),
		TagSkipped:            strings.Join(skipped, ", "),
	}
	if u := e.getenv("USER"); u != "" {
		m["mlflow.user"] = u
	}
	if commit := gitCommit(ctx, rec.ConfigDir); commit != "" {
		m[TagGitCommit] = commit
	}
	for k, v := range s.Tags {
		if !strings.HasPrefix(k, "evalplan.") {
			m[k] = v
		}
	}
	keys := sortedKeys(m)
	seen := map[string]bool{}
	out := make([]Tag, 0, len(keys))
	for _, k := range keys {
		if m[k] == "" {
			continue
		}
		out = append(out, Tag{Key: uniqueKey(SanitizeKey(k), seen), Value: truncate(m[k], MaxTagValueLength)})
	}
	return out
}

// note is the run's Markdown description in the MLflow UI.
func note(rec *plan.ExportRecord, skipped []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "evalplan run `%s`\n\n", rec.Address)
	if r := rec.Result; r != nil {
		fmt.Fprintf(&b, "- score (%s): %.4g\n- samples scored: %d, errored: %d\n", r.Primary, r.Score, r.N, r.Errors)
	}
	fmt.Fprintf(&b, "- identity: `%s`\n", rec.Identity)
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "- not uploaded from the run directory `%s`: %s\n", rec.RunDir, strings.Join(skipped, ", "))
	}
	return b.String()
}

// gitCommit returns HEAD of the git repository holding dir, "" when there is none.
func gitCommit(ctx context.Context, dir string) string {
	if dir == "" {
		return ""
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// uploadArtifacts uploads files (slash-separated, relative to dir), then the samples table,
// registered in mlflow.loggedArtifacts. A missing run directory or file is skipped (the
// result itself is in the metrics).
func (e *Exporter) uploadArtifacts(ctx context.Context, c *Client, run *Run, dir string, files []string) error {
	if dir == "" {
		return nil
	}
	for _, rel := range files {
		if err := uploadFile(ctx, c, run.Info.ArtifactURI, rel, filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	// The Q&A table: the per-sample journal, else (a container harness that writes no
	// per-sample output) the request journal's prompt/response pairs.
	journal, write := filepath.Join(dir, rundir.JournalFile), WriteTable
	if _, err := os.Stat(journal); err != nil {
		journal, write = filepath.Join(dir, rundir.RequestsFile), WriteRequestsTable
		if _, err := os.Stat(journal); err != nil {
			return nil
		}
	}
	if err := uploadTable(ctx, c, run.Info.ArtifactURI, journal, write); err != nil {
		return err
	}
	prior, _ := run.Tag(tagLogged)
	return c.SetTag(ctx, run.Info.RunID, tagLogged, withTable(prior))
}

// MaxArtifactSize is the largest run directory file uploaded to MLflow; a bigger one is
// listed in TagSkipped instead.
const MaxArtifactSize = 100 << 20

// artifacts are the files of a run directory to upload and the entries left out.
type artifacts struct {
	// Files are slash-separated paths relative to the run directory, in lexical order.
	Files []string
	// Skipped describe the directories and too-big files left out, in lexical order.
	Skipped []string
}

// runFiles lists the artifacts of a run directory at any depth: every regular file whose
// kind is one a user reads (isArtifact), up to MaxArtifactSize. Hidden directories and
// caches (cache/, .cache/) are not entered; a missing directory has no artifacts.
func runFiles(dir string) (artifacts, error) {
	var out artifacts
	if dir == "" {
		return out, nil
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			if skipDir(d.Name()) {
				out.Skipped = append(out.Skipped, rel+"/ (directory)")
				return fs.SkipDir
			}
		case d.Type().IsRegular() && isArtifact(d.Name()):
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Size() > MaxArtifactSize {
				out.Skipped = append(out.Skipped, fmt.Sprintf("%s (%d MB, over the %d MB limit)", rel, info.Size()>>20, MaxArtifactSize>>20))
				return nil
			}
			out.Files = append(out.Files, rel)
		}
		return nil
	})
	if err != nil {
		return artifacts{}, fmt.Errorf("list run directory %s: %w", dir, err)
	}
	return out, nil
}

// skipDir reports whether a run directory's subdirectory is left out: caches and hidden
// directories, which hold data for evalplan or the harness rather than for a reader.
func skipDir(name string) bool {
	return name == "cache" || strings.HasPrefix(name, ".")
}

// isArtifact reports whether a file is of a kind a user reads: results (results.json,
// results.yml), run configurations, samples.jsonl, logs, metadata.yaml,
// eval_factory_metrics.json, reports (report.json, report.html) and the harnesses' other
// text outputs. Temporary and hidden files are not.
func isArtifact(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonl", ".yml", ".yaml", ".log", ".html", ".txt", ".csv", ".md":
		return true
	}
	return false
}

func uploadFile(ctx context.Context, c *Client, artifactURI, rel, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload artifact %s: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload artifact %s: %w", rel, err)
	}
	return c.UploadArtifact(ctx, artifactURI, rel, f, st.Size())
}

// uploadTable writes the samples table to a temporary file and uploads it.
func uploadTable(ctx context.Context, c *Client, artifactURI, journal string, write func(io.Writer, string) (int, error)) error {
	tmp, err := os.CreateTemp("", "evalplan-table-*.json")
	if err != nil {
		return fmt.Errorf("samples table: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := write(tmp, journal); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("samples table: %w", err)
	}
	return uploadFile(ctx, c, artifactURI, TableArtifact, tmp.Name())
}

// withTable returns the mlflow.loggedArtifacts value that lists prior's entries plus the
// samples table.
func withTable(prior string) string {
	var entries []map[string]string
	if prior == "" || json.Unmarshal([]byte(prior), &entries) != nil {
		return loggedTablesTag
	}
	for _, en := range entries {
		if en["path"] == TableArtifact && en["type"] == "table" {
			return prior
		}
	}
	parts := make([]string, 0, len(entries)+1)
	for _, en := range entries {
		p, _ := json.Marshal(en["path"])
		t, _ := json.Marshal(en["type"])
		parts = append(parts, `{"path": `+string(p)+`, "type": `+string(t)+`}`)
	}
	parts = append(parts, strings.Trim(loggedTablesTag, "[]"))
	return "[" + strings.Join(parts, ", ") + "]"
}
