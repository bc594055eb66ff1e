package dataset

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

// maxRedirects is how many redirects a download follows, as Go's default client does.
const maxRedirects = 10

// DefaultMaxSize is the largest remote dataset fetched when Provider.MaxSize is zero: 10 GiB.
const DefaultMaxSize int64 = 10 << 30

// Provider fetches dataset sources and implements plan.Datasets. The zero value is ready to
// use: relative sources are taken relative to the working directory, downloads use a client
// with Go's default transport, the size limit is DefaultMaxSize and the environment is the
// process's.
type Provider struct {
	// Dir is the configuration directory that relative sources are relative to.
	Dir string
	// Client performs downloads; nil means a client with http.DefaultTransport.
	Client *http.Client
	// MaxSize is the largest remote file fetched, in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// Env looks up HF_ENDPOINT and HF_TOKEN; nil means os.Getenv.
	Env func(string) string
}

var _ plan.Datasets = (*Provider)(nil)

func (p *Provider) env(key string) string {
	if p.Env != nil {
		return p.Env(key)
	}
	return os.Getenv(key)
}

// client is the download client: p.Client, or a default one, that never sends the
// Authorization header (HF_TOKEN) to a host other than the source's. Redirects are followed
// (the hub serves files through redirects to a CDN host), but Go's own client keeps
// Authorization on a redirect to a subdomain or another port of the same host.
func (p *Provider) client() *http.Client {
	hc := &http.Client{}
	if p.Client != nil {
		cp := *p.Client
		hc = &cp
	}
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if req.URL.Host != via[0].URL.Host {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return hc
}

func (p *Provider) maxSize() int64 {
	if p.MaxSize > 0 {
		return p.MaxSize
	}
	return DefaultMaxSize
}

// Addr is the progress address of a dataset: "dataset.NAME".
func Addr(ds *config.Dataset) string { return addrs.Dataset{Name: ds.Name}.String() }

// Cached reports the dataset's file without network. A local source is hashed (or its hash
// found in the memo under cacheDir) and is cached when it exists and matches a declared
// sha256. A remote source is cached when the cache holds the file of its declared sha256, or,
// without one, the file a previous Fetch of the same source recorded.
func (p *Provider) Cached(ds *config.Dataset, cacheDir string) (plan.DatasetFile, bool) {
	src, err := p.resolve(ds)
	if err != nil {
		return plan.DatasetFile{}, false
	}
	if !src.remote() {
		f, err := hashLocal(context.Background(), src.local, cacheDir, Addr(ds), plan.NopProgress{})
		if err != nil || declared(ds) != "" && declared(ds) != f.SHA256 {
			return plan.DatasetFile{}, false
		}
		return f, true
	}
	if cacheDir == "" {
		return plan.DatasetFile{}, false
	}
	return lookup(ds, src, cacheDir)
}

// Fetch makes the dataset available locally. A local source is hashed in place (never
// copied); a remote source is downloaded into the cache under cacheDir unless it is there
// already, resuming an earlier partial download. A declared sha256 is verified: on a mismatch
// Fetch returns a *MismatchError and leaves nothing in the cache. Progress (bytes) is reported
// under "dataset.NAME"; progress may be nil.
func (p *Provider) Fetch(ctx context.Context, ds *config.Dataset, cacheDir string, progress plan.Progress) (plan.DatasetFile, error) {
	if progress == nil {
		progress = plan.NopProgress{}
	}
	if want := ds.SHA256; want != "" && !isHex(want) {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: sha256 %q is not 64 hex digits", ds.Name, want)
	}
	src, err := p.resolve(ds)
	if err != nil {
		return plan.DatasetFile{}, err
	}
	if !src.remote() {
		return fetchLocal(ctx, ds, src, cacheDir, progress)
	}
	if cacheDir == "" {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: no cache directory to download %s into", ds.Name, src.redacted())
	}
	if f, ok := lookup(ds, src, cacheDir); ok {
		return f, nil
	}
	return p.download(ctx, ds, src, cacheDir, progress)
}

func fetchLocal(ctx context.Context, ds *config.Dataset, src *source, cacheDir string, progress plan.Progress) (plan.DatasetFile, error) {
	f, err := hashLocal(ctx, src.local, cacheDir, Addr(ds), progress)
	if isNotExist(err) {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: source %s does not exist (a relative source is relative to the configuration directory): %w", ds.Name, src.local, err)
	}
	if err != nil {
		return plan.DatasetFile{}, fmt.Errorf("dataset %q: %w", ds.Name, err)
	}
	if want := declared(ds); want != "" && want != f.SHA256 {
		return plan.DatasetFile{}, mismatch(ds, src.local, f.SHA256)
	}
	return f, nil
}

// declared is the dataset's declared sha256 in lower case, or "".
func declared(ds *config.Dataset) string { return strings.ToLower(ds.SHA256) }

// MismatchError reports a dataset whose bytes do not have the declared sha256.
type MismatchError struct {
	Dataset  string // dataset block name
	Source   string // the file or URL (without password)
	Expected string
	Got      string
	// Decl is where the dataset block is, "FILE:LINE", or "" when unknown.
	Decl string
}

// Error implements error.
func (e *MismatchError) Error() string {
	where := "the dataset block"
	if e.Decl != "" {
		where = e.Decl
	}
	return fmt.Sprintf("dataset %q: sha256 mismatch for %s\n  expected: %s\n  got:      %s\n"+
		"If the source changed legitimately, update sha256 in %s to the new value; "+
		"otherwise the data is corrupt or was tampered with.", e.Dataset, e.Source, e.Expected, e.Got, where)
}

func mismatch(ds *config.Dataset, src, got string) *MismatchError {
	e := &MismatchError{Dataset: ds.Name, Source: src, Expected: declared(ds), Got: got}
	if r := ds.DeclRange; r.Filename != "" {
		e.Decl = fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
	}
	return e
}

// lookup finds a remote source's file in the cache.
func lookup(ds *config.Dataset, src *source, cacheDir string) (plan.DatasetFile, bool) {
	hex := declared(ds)
	exts := []string{remoteExt(src.url)}
	var e sourceEntry
	if readJSON(indexPath(cacheDir, ds.Source), &e) == nil && isHex(e.SHA256) && (hex == "" || hex == e.SHA256) {
		hex = e.SHA256
		exts = append(exts, e.Ext)
	}
	if hex == "" {
		return plan.DatasetFile{}, false
	}
	for _, ext := range exts {
		p := objectPath(cacheDir, hex, ext)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return plan.DatasetFile{Path: p, SHA256: hex, Size: fi.Size()}, true
		}
	}
	return plan.DatasetFile{}, false
}
