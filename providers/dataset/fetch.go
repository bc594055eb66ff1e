package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
)

// maxAttempts bounds the attempts of one Fetch. An attempt is only followed by another when
// it received bytes (so resuming is cheap and progress is being made); a failure without
// progress ends the Fetch, and the next Fetch resumes.
const maxAttempts = 8

func indexPath(cacheDir, raw string) string {
	return filepath.Join(datasetsDir(cacheDir), dirSources, sourceKey(raw)+".json")
}

// partialState is the sidecar of a partial download: what it is a prefix of.
type partialState struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// download is one Fetch of a remote source.
type download struct {
	p        *Provider
	ds       *config.Dataset
	src      *source
	addr     string
	progress plan.Progress
	partial  string // the partial file
	state    string // its partialState sidecar
	reported int64  // bytes reported to progress by this Fetch
}

// errRetry marks an attempt failure after which another attempt may resume.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

func (p *Provider) download(ctx context.Context, ds *config.Dataset, src *source, cacheDir string, progress plan.Progress) (plan.DatasetFile, error) {
	key := declared(ds)
	if key == "" {
		key = sourceKey(ds.Source)
	}
	pdir := filepath.Join(datasetsDir(cacheDir), dirPartial)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: %w", ds.Name, err)
	}
	lock := flock.New(filepath.Join(pdir, key+".lock"))
	if _, err := lock.TryLockContext(ctx, 250*time.Millisecond); err != nil {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: wait for another download of %s: %w", ds.Name, src.redacted(), err)
	}
	defer lock.Unlock()
	// Another process may have finished the download while this one waited.
	if f, ok := lookup(ds, src, cacheDir); ok {
		return f, nil
	}
	d := &download{p: p, ds: ds, src: src, addr: Addr(ds), progress: progress,
		partial: filepath.Join(pdir, key+".partial"), state: filepath.Join(pdir, key+".partial.json")}
	for attempt := 1; ; attempt++ {
		err := d.attempt(ctx)
		if err == nil {
			break
		}
		var retry errRetry
		if ctx.Err() != nil {
			return plan.DatasetFile{}, fmt.Errorf("dataset %q: download %s: %w (run again to resume)", ds.Name, src.redacted(), ctx.Err())
		}
		if !errors.As(err, &retry) || attempt == maxAttempts {
			return plan.DatasetFile{}, fmt.Errorf("dataset %q: download %s: %w", ds.Name, src.redacted(), err)
		}
		progress.Log(d.addr, fmt.Sprintf("download interrupted (%v); resuming", err))
	}
	return d.finish(ctx, cacheDir)
}

// attempt makes one request and appends what it receives to the partial file.
func (d *download) attempt(ctx context.Context) error {
	var offset int64
	if fi, err := os.Stat(d.partial); err == nil {
		offset = fi.Size()
	}
	url := d.src.url.String()
	// The sidecar records the URL without its credentials, like everything under the cache.
	recorded := d.src.redacted()
	var st partialState
	if offset > 0 && (readJSON(d.state, &st) != nil || st.URL != recorded) {
		offset = 0 // a prefix of something else
	}
	if offset > 0 && st.ETag == "" && st.LastModified == "" && declared(d.ds) == "" {
		// Nothing would tell a changed file from the one the prefix came from.
		offset = 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "evalplan")
	if d.src.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+d.src.bearer)
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		if st.ETag != "" && !strings.HasPrefix(st.ETag, "W/") {
			req.Header.Set("If-Range", st.ETag)
		} else if st.LastModified != "" {
			req.Header.Set("If-Range", st.LastModified)
		}
	}
	resp, err := d.p.client().Do(req)
	if err != nil {
		// A *url.Error quotes the URL, token and user name included; the caller names the
		// source, redacted.
		if ue, ok := errors.AsType[*neturl.Error](err); ok {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0 {
			d.discard()
			return errRetry{errors.New("server cannot resume the partial download (416); starting again")}
		}
		return d.statusError(resp)
	}
	f, err := os.OpenFile(d.partial, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()

	total := int64(-1)
	switch resp.StatusCode {
	case http.StatusOK:
		if offset > 0 {
			d.progress.Log(d.addr, "the server does not resume downloads; starting again from the beginning")
			offset = 0
		}
		total = resp.ContentLength
		st = partialState{URL: recorded, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
		if err := writeJSON(d.state, st); err != nil {
			return err
		}
	case http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			d.discard()
			return errRetry{fmt.Errorf("server answered a request for bytes %d- with Content-Range %q", offset, resp.Header.Get("Content-Range"))}
		}
		total = size
		if total < 0 && resp.ContentLength >= 0 {
			total = offset + resp.ContentLength
		}
	}
	if err := f.Truncate(offset); err != nil {
		return err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	if total > d.p.maxSize() {
		d.discard()
		return fmt.Errorf("it is %s, over the %s dataset size limit", display.IBytes(total), display.IBytes(d.p.maxSize()))
	}
	if total >= 0 {
		d.progress.Total(d.addr, total)
	}
	d.report(offset)
	return d.copy(f, resp.Body, offset, total)
}

// copy appends body to f, which holds offset bytes, until EOF; total is the expected final
// size, or -1.
func (d *download) copy(f *os.File, body io.Reader, offset, total int64) error {
	buf := make([]byte, 256<<10)
	got := int64(0)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if offset+int64(n) > d.p.maxSize() {
				d.discard()
				return fmt.Errorf("it is over the %s dataset size limit", display.IBytes(d.p.maxSize()))
			}
			if _, err := f.Write(buf[:n]); err != nil {
				return err
			}
			offset += int64(n)
			got += int64(n)
			d.report(offset)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if got > 0 {
				return errRetry{rerr}
			}
			return rerr
		}
	}
	if total >= 0 && offset != total {
		err := fmt.Errorf("connection closed after %d of %d bytes: %w", offset, total, io.ErrUnexpectedEOF)
		if got > 0 {
			return errRetry{err}
		}
		return err
	}
	return nil
}

// report brings progress up to n bytes done.
func (d *download) report(n int64) {
	if n > d.reported {
		d.progress.Add(d.addr, n-d.reported, 0, 0)
		d.reported = n
	}
}

// discard removes the partial download.
func (d *download) discard() {
	_ = os.Remove(d.partial)
	_ = os.Remove(d.state)
}

func (d *download) statusError(resp *http.Response) error {
	err := fmt.Errorf("server answered %s", resp.Status)
	switch {
	case d.src.hf && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		if d.src.bearer == "" {
			return fmt.Errorf("%w; the dataset may be gated or private: set HF_TOKEN to a token that can read it", err)
		}
		return fmt.Errorf("%w; check that HF_TOKEN can read this dataset (accept its terms on the hub if it is gated)", err)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w; check the source's path (and revision, for hf://)", err)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w; try again later", err)
	}
	return err
}

// finish verifies the complete partial file and moves it into the cache.
func (d *download) finish(ctx context.Context, cacheDir string) (plan.DatasetFile, error) {
	sum, err := hashFile(ctx, d.partial, d.addr, plan.NopProgress{})
	if err != nil {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: %w", d.ds.Name, err)
	}
	if want := declared(d.ds); want != "" && want != sum {
		d.discard()
		return plan.DatasetFile{}, mismatch(d.ds, d.src.redacted(), sum)
	}
	ext := remoteExt(d.src.url)
	dst := objectPath(cacheDir, sum, ext)
	fail := func(err error) (plan.DatasetFile, error) {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: store %s in the cache: %w", d.ds.Name, d.src.redacted(), err)
	}
	fi, err := os.Stat(d.partial)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fail(err)
	}
	// The sidecar goes first: Status lists files through their sidecars.
	m := meta{Source: config.RedactSource(d.ds.Source), Name: d.ds.Name, Size: fi.Size(), FetchedAt: time.Now().UTC(), Ext: ext}
	if err := writeJSON(filepath.Join(filepath.Dir(dst), sum+metaSuffix), m); err != nil {
		return fail(err)
	}
	if err := os.Rename(d.partial, dst); err != nil {
		return fail(err)
	}
	_ = os.Remove(d.state)
	if err := writeJSON(indexPath(cacheDir, d.ds.Source), sourceEntry{Source: config.RedactSource(d.ds.Source), SHA256: sum, Ext: ext}); err != nil {
		return fail(err)
	}
	return plan.DatasetFile{Path: dst, SHA256: sum, Size: fi.Size()}, nil
}

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+|\*)$`)

// parseContentRange reads "bytes START-END/SIZE"; size is -1 when "*".
func parseContentRange(s string) (start, size int64, ok bool) {
	m := contentRangeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	size = -1
	if m[3] != "*" {
		if size, err = strconv.ParseInt(m[3], 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, size, true
}
