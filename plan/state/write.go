package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BackupPath returns where [WriteAtomic] keeps the previous version of the file at path.
func BackupPath(path string) string { return path + ".backup" }

// WriteAtomic replaces the file at path with data so that a crash at any moment leaves
// either the old or the new content, never a mix: it writes a temporary file in the same
// directory, fsyncs it, renames it over path and fsyncs the directory. Before replacing an
// existing file it keeps that file's content in BackupPath(path). The file keeps its
// permissions; a new one gets 0644.
//
// A path that is a symlink is written through: the link's target is replaced (and backed up
// next to it), never the link itself by a copy.
func WriteAtomic(path string, data []byte) error {
	path, err := throughLinks(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	mode := fs.FileMode(0o644)
	st, err := os.Stat(path)
	switch {
	case err == nil:
		mode = st.Mode().Perm()
		if err := backup(path); err != nil {
			return fmt.Errorf("write %s: keep backup: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := replace(path, mode, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// throughLinks resolves path when it is a symlink (to any depth), so that an atomic replace
// renames onto the file the link points at; other paths are returned as they are.
func throughLinks(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		// A dangling link: create its target.
		target, rerr := os.Readlink(path)
		if rerr != nil {
			return path, rerr
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		return target, nil
	}
	return real, err
}

// ReplaceFile is [WriteAtomic] without the backup, for files evalplan writes for the user
// (a saved plan, a report): a temporary file in the same directory, fsynced and renamed over
// path, so a crash leaves the old file or the new one. A new file gets mode 0644. Callers
// check first that path may be replaced at all.
func ReplaceFile(path string, data []byte) error {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := replace(path, mode, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// replace writes data to a temporary file next to path and renames it over path.
func replace(path string, mode fs.FileMode, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), mode, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// tempPrefixes are the names of the temporary files [WriteAtomic] makes next to the file at
// path, before os.CreateTemp's random suffix: the new content and the backup being made.
func tempPrefixes(path string) []string {
	base := filepath.Base(path)
	return []string{"." + base + ".tmp-", "." + base + ".backup-"}
}

// CleanTemps removes the temporary files a [WriteAtomic] of path left behind when it was
// killed: only files next to path whose names match the writer's own patterns and that were
// last modified before before (the moment the caller took the state lock, so no writer
// that holds it now is still using them). It returns the names it removed.
func CleanTemps(path string, before time.Time) ([]string, error) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !hasAnyPrefix(e.Name(), tempPrefixes(path)) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}

// writeTemp writes data to a new, fsynced temporary file in dir and returns its name.
func writeTemp(dir, base string, mode fs.FileMode, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // tempPrefixes
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// backup makes BackupPath(path) hold the current content of path, replacing it atomically.
// The state file is only ever replaced, never written in place, so a hard link is a faithful
// and cheap copy; where links are not supported it copies the bytes.
func backup(path string) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	tmp, err := os.CreateTemp(dir, "."+base+".backup-*") // tempPrefixes
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	os.Remove(name)
	if err := os.Link(path, name); err != nil {
		if err := copyTemp(path, name); err != nil {
			os.Remove(name)
			return err
		}
	}
	if err := os.Rename(name, BackupPath(path)); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// copyTemp copies the file src to the new file dst and fsyncs it.
func copyTemp(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir fsyncs a directory so that a rename inside it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
