package dataset

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Cache subdirectories under <cache_dir>/datasets.
const (
	dirObjects = "sha256"
	dirSources = "sources"
	dirPartial = "partial"
	dirLocal   = "local"
	metaSuffix = ".meta.json"
)

func datasetsDir(cacheDir string) string { return filepath.Join(cacheDir, "datasets") }

// objectPath is where the fetched file with sha256 hex and extension ext lives.
func objectPath(cacheDir, hex, ext string) string {
	return filepath.Join(datasetsDir(cacheDir), dirObjects, hex+ext)
}

// meta is the sidecar of a cached file.
type meta struct {
	Source    string    `json:"source"`
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	FetchedAt time.Time `json:"fetched_at"`
	// Ext is the extension of the cached file ("" when the source had none).
	Ext string `json:"ext"`
}

// sourceEntry is a source index entry: which cached file a source was last fetched into.
type sourceEntry struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	Ext    string `json:"ext"`
}

// Entry is one cached dataset file.
type Entry struct {
	SHA256    string    `json:"sha256"`
	Source    string    `json:"source"`
	Name      string    `json:"name"` // dataset block name of the fetch that stored it
	Path      string    `json:"path"`
	Size      int64     `json:"size"`
	FetchedAt time.Time `json:"fetched_at"`
}

// Status lists the files in the dataset cache under cacheDir, ordered by source then sha256.
// Local sources are never cached and so never listed. A missing cache is empty.
func Status(cacheDir string) ([]Entry, error) {
	dir := filepath.Join(datasetsDir(cacheDir), dirObjects)
	names, err := filepath.Glob(filepath.Join(dir, "*"+metaSuffix))
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for _, name := range names {
		hex := strings.TrimSuffix(filepath.Base(name), metaSuffix)
		var m meta
		if err := readJSON(name, &m); err != nil || !isHex(hex) {
			continue // not one of ours, or a sidecar being written
		}
		p := objectPath(cacheDir, hex, m.Ext)
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		entries = append(entries, Entry{SHA256: hex, Source: m.Source, Name: m.Name, Path: p, Size: fi.Size(), FetchedAt: m.FetchedAt})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Source != entries[j].Source {
			return entries[i].Source < entries[j].Source
		}
		return entries[i].SHA256 < entries[j].SHA256
	})
	return entries, nil
}

// Clear removes cached files by sha256 (with their sidecars and the source index entries that
// point at them), or, when no sha256 is given, the whole dataset cache: every cached file,
// partial download, source index entry and local hash memo. It returns how many cached files
// it removed and how many bytes that freed (partial downloads included). A sha256 that is not
// cached is not an error.
func Clear(cacheDir string, sha256s ...string) (removed int, freed int64, err error) {
	if len(sha256s) == 0 {
		return clearAll(cacheDir)
	}
	want := make(map[string]bool)
	for _, s := range sha256s {
		s = strings.ToLower(strings.TrimSpace(s))
		if !isHex(s) {
			return 0, 0, fmt.Errorf("clear dataset cache: %q is not a sha256 (64 hex digits); see evalplan datasets status", s)
		}
		want[s] = true
	}
	objects := filepath.Join(datasetsDir(cacheDir), dirObjects)
	for s := range want {
		names, err := filepath.Glob(filepath.Join(objects, s+"*"))
		if err != nil {
			return removed, freed, err
		}
		found := false
		for _, name := range names {
			fi, err := os.Lstat(name)
			if err != nil {
				continue
			}
			if err := os.Remove(name); err != nil && !isNotExist(err) {
				return removed, freed, fmt.Errorf("clear dataset cache: %w", err)
			}
			if !strings.HasSuffix(name, metaSuffix) {
				found = true
				freed += fi.Size()
			}
		}
		if found {
			removed++
		}
	}
	err = removeSourceEntries(cacheDir, want)
	return removed, freed, err
}

func clearAll(cacheDir string) (removed int, freed int64, err error) {
	root := datasetsDir(cacheDir)
	for _, sub := range []string{dirObjects, dirPartial} {
		entries, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil && !isNotExist(err) {
			return 0, 0, fmt.Errorf("clear dataset cache: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			data := sub == dirObjects && !strings.HasSuffix(name, metaSuffix) && !strings.HasPrefix(name, ".")
			partial := sub == dirPartial && strings.HasSuffix(name, ".partial")
			fi, err := e.Info()
			if err != nil || !fi.Mode().IsRegular() || !data && !partial {
				continue
			}
			freed += fi.Size()
			if data {
				removed++
			}
		}
	}
	if err := os.RemoveAll(root); err != nil {
		return 0, 0, fmt.Errorf("clear dataset cache: %w", err)
	}
	return removed, freed, nil
}

func removeSourceEntries(cacheDir string, hexes map[string]bool) error {
	names, err := filepath.Glob(filepath.Join(datasetsDir(cacheDir), dirSources, "*.json"))
	if err != nil {
		return err
	}
	for _, name := range names {
		var e sourceEntry
		if readJSON(name, &e) == nil && hexes[e.SHA256] {
			if err := os.Remove(name); err != nil && !isNotExist(err) {
				return fmt.Errorf("clear dataset cache: %w", err)
			}
		}
	}
	return nil
}

func readJSON(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// writeJSON writes v to p atomically (a temporary file renamed over p).
func writeJSON(p string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), p)
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}
