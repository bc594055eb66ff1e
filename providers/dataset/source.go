package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
)

// defaultHFEndpoint is the Hugging Face hub, used when HF_ENDPOINT is unset.
const defaultHFEndpoint = "https://huggingface.co"

// source is a dataset source resolved to either a local path or a remote URL.
type source struct {
	// local is the absolute path, directory or glob of a local source; empty for remote ones.
	local string
	// url is the URL of a remote source.
	url *url.URL
	// bearer is the token sent as "Authorization: Bearer" (hf:// only); never printed.
	bearer string
	// hf reports an hf:// source, for error hints.
	hf bool
}

// remote reports whether the source is fetched over the network.
func (s *source) remote() bool { return s.url != nil }

// redacted is the URL as messages, progress lines and the cache may record it: without user
// information or credential-like query parameters.
func (s *source) redacted() string { return config.RedactURL(s.url.String()) }

// resolve turns ds.Source into a source. Relative paths are relative to p.Dir.
func (p *Provider) resolve(ds *config.Dataset) (*source, error) {
	raw := ds.Source
	if raw == "" {
		return nil, fmt.Errorf("dataset %q: source is empty", ds.Name)
	}
	scheme := config.SourceScheme(raw)
	if scheme == "" {
		return p.resolvePath(raw)
	}
	switch strings.ToLower(scheme) {
	case "file":
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: source %q: %w", ds.Name, raw, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("dataset %q: source %q: file:// URLs take an absolute path (file:///data/x.jsonl), not host %q", ds.Name, raw, u.Host)
		}
		if !filepath.IsAbs(filepath.FromSlash(u.Path)) {
			return nil, fmt.Errorf("dataset %q: source %q: file:// needs an absolute path; write a relative path without file://", ds.Name, raw)
		}
		return &source{local: filepath.Clean(filepath.FromSlash(u.Path))}, nil
	case "http", "https":
		u, err := url.Parse(raw)
		if err != nil {
			// url.Parse's error quotes the whole source, credentials included.
			return nil, fmt.Errorf("dataset %q: source is not a valid URL; check its syntax", ds.Name)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("dataset %q: source %q has no host", ds.Name, config.RedactURL(raw))
		}
		return &source{url: u}, nil
	case "hf":
		return p.resolveHF(ds, raw)
	default:
		return nil, fmt.Errorf("dataset %q: source %q: unsupported scheme %q; use a path, file://, http://, https:// or hf://", ds.Name, raw, scheme)
	}
}

func (p *Provider) resolvePath(raw string) (*source, error) {
	fp := filepath.FromSlash(raw)
	if !filepath.IsAbs(fp) {
		base := p.Dir
		if base == "" {
			base = "."
		}
		fp = filepath.Join(base, fp)
	}
	abs, err := filepath.Abs(fp)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", raw, err)
	}
	return &source{local: abs}, nil
}

// resolveHF maps hf://org/name/path/in/repo@revision to
// $HF_ENDPOINT/datasets/org/name/resolve/<revision>/path/in/repo.
func (p *Provider) resolveHF(ds *config.Dataset, raw string) (*source, error) {
	rest := raw[len("hf://"):]
	rev := "main"
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rev = rest[i+1:]
		rest = rest[:i]
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) < 3 || rev == "" || slices.Contains(parts, "") {
		return nil, fmt.Errorf("dataset %q: source %q: want hf://ORG/NAME/PATH/IN/REPO[@REVISION], e.g. hf://openai/gsm8k/main/test-00000-of-00001.parquet@main", ds.Name, raw)
	}
	endpoint := p.env("HF_ENDPOINT")
	if endpoint == "" {
		endpoint = defaultHFEndpoint
	}
	base, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("dataset %q: HF_ENDPOINT %q is not a URL like https://huggingface.co", ds.Name, endpoint)
	}
	escaped := make([]string, len(parts))
	for i, s := range parts {
		escaped[i] = url.PathEscape(s)
	}
	repo := strings.Join(escaped[:2], "/")
	file := strings.Join(escaped[2:], "/")
	u, err := url.Parse(base.String() + "/datasets/" + repo + "/resolve/" + url.PathEscape(rev) + "/" + file)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: source %q: %w", ds.Name, raw, err)
	}
	return &source{url: u, bearer: p.env("HF_TOKEN"), hf: true}, nil
}

// sourceKey is the source index key of a source as written.
func sourceKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

var extRE = regexp.MustCompile(`^\.[A-Za-z0-9]{1,12}$`)

// remoteExt is the extension a cached copy of u gets: the URL path's, when it is a plain one.
func remoteExt(u *url.URL) string {
	ext := strings.ToLower(path.Ext(u.Path))
	if !extRE.MatchString(ext) {
		return ""
	}
	return ext
}
