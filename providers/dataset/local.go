package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
)

// dataExts are the extensions a directory source takes files with.
var dataExts = map[string]string{
	".jsonl":   "jsonl",
	".ndjson":  "jsonl",
	".json":    "json",
	".csv":     "csv",
	".parquet": "parquet",
}

// member is one file of a local source.
type member struct {
	path string // absolute
	rel  string // slash-separated, relative to the source's base directory
	size int64
	mod  time.Time
}

// members lists the files of a local source: the file itself; for a directory, its regular,
// non-hidden files with a data extension (.jsonl, .ndjson, .json, .csv, .parquet), not
// recursing; for a glob, every regular file it matches. multi reports a directory or glob.
func members(p string) (files []member, multi bool, err error) {
	fi, statErr := os.Stat(p)
	switch {
	case statErr == nil && fi.Mode().IsRegular():
		return []member{{path: p, rel: filepath.Base(p), size: fi.Size(), mod: fi.ModTime()}}, false, nil
	case statErr == nil && fi.IsDir():
		files, err = dirMembers(p)
	case hasMeta(p):
		files, err = globMembers(p)
	case statErr != nil:
		return nil, false, statErr
	default:
		return nil, false, fmt.Errorf("%s is not a regular file or directory", p)
	}
	if err != nil {
		return nil, true, err
	}
	if len(files) == 0 {
		return nil, true, fmt.Errorf("%s: no data files (want *.jsonl, *.json, *.csv or *.parquet)", p)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, true, nil
}

func dirMembers(dir string) ([]member, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []member
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || dataExts[strings.ToLower(filepath.Ext(name))] == "" {
			continue
		}
		full := filepath.Join(dir, name)
		fi, err := os.Stat(full) // follows symbolic links
		if err != nil {
			return nil, err
		}
		if fi.Mode().IsRegular() {
			files = append(files, member{path: full, rel: name, size: fi.Size(), mod: fi.ModTime()})
		}
	}
	return files, nil
}

func globMembers(pattern string) ([]member, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("glob %s: %w", pattern, err)
	}
	base := globBase(pattern)
	var files []member
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		rel, err := filepath.Rel(base, m)
		if err != nil {
			return nil, err
		}
		files = append(files, member{path: m, rel: filepath.ToSlash(rel), size: fi.Size(), mod: fi.ModTime()})
	}
	return files, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// globBase is the longest leading directory of pattern without glob characters.
func globBase(pattern string) string {
	dir := filepath.Dir(pattern)
	for hasMeta(dir) {
		dir = filepath.Dir(dir)
	}
	return dir
}

// hashLocal identifies a local source (see the package documentation), reporting bytes hashed
// to progress under addr. cacheDir, when set, holds a memo of file hashes.
func hashLocal(ctx context.Context, p, cacheDir, addr string, progress plan.Progress) (plan.DatasetFile, error) {
	files, multi, err := members(p)
	if err != nil {
		return plan.DatasetFile{}, err
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	progress.Total(addr, total)
	var list strings.Builder
	for _, f := range files {
		sum, err := hashMember(ctx, f, cacheDir, addr, progress)
		if err != nil {
			return plan.DatasetFile{}, err
		}
		if !multi {
			return plan.DatasetFile{Path: p, SHA256: sum, Size: total}, nil
		}
		fmt.Fprintf(&list, "%s  %s\n", sum, f.rel)
	}
	sum := sha256.Sum256([]byte(list.String()))
	return plan.DatasetFile{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: total}, nil
}

// hashMemo is a remembered hash of a local file.
type hashMemo struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mod_time_ns"`
	SHA256  string `json:"sha256"`
}

// memoAge is how old a file's mtime must be before its hash is remembered: a file written
// again within the mtime's resolution could otherwise keep a stale hash.
const memoAge = 2 * time.Second

func hashMember(ctx context.Context, f member, cacheDir, addr string, progress plan.Progress) (string, error) {
	memoPath := ""
	if cacheDir != "" {
		memoPath = filepath.Join(cacheDir, "datasets", "local", sourceKey(f.path)+".json")
		var m hashMemo
		if readJSON(memoPath, &m) == nil && m.Path == f.path && m.Size == f.size && m.ModTime == f.mod.UnixNano() && isHex(m.SHA256) {
			progress.Add(addr, f.size, 0, 0)
			return m.SHA256, nil
		}
	}
	sum, err := hashFile(ctx, f.path, addr, progress)
	if err != nil {
		return "", err
	}
	if memoPath != "" && time.Since(f.mod) > memoAge {
		// The memo only saves time; failing to write it is not an error.
		_ = writeJSON(memoPath, hashMemo{Path: f.path, Size: f.size, ModTime: f.mod.UnixNano(), SHA256: sum})
	}
	return sum, nil
}

// hashFile returns the hex sha256 of the file at p.
func hashFile(ctx context.Context, p, addr string, progress plan.Progress) (string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, &progressReader{ctx: ctx, r: fh, addr: addr, progress: progress}); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// progressReader reports bytes read and stops when ctx is done.
type progressReader struct {
	ctx      context.Context
	r        io.Reader
	addr     string
	progress plan.Progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(b)
	if n > 0 {
		r.progress.Add(r.addr, int64(n), 0, 0)
	}
	return n, err
}

func isHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// isNotExist reports a missing file, also behind a wrapped error.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
