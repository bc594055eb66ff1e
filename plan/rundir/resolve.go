package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Resolve turns a run directory recorded in state (relative to configDir, or absolute) into
// the absolute directory to read, and refuses one that is not confined to outputDir: a path
// that climbs out (../victim), an absolute path elsewhere, or a path whose existing prefix
// goes through a symlink that leads out. Every reader of a recorded run directory (plans,
// comparisons, reports, progress, exporters) goes through Resolve, so a state file edited
// by hand or by someone else never makes evalplan read or upload files outside the output
// directory.
func Resolve(configDir, outputDir, recorded string) (string, error) {
	if recorded == "" {
		return "", errors.New("run_dir is empty")
	}
	dir := filepath.FromSlash(recorded)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(configDir, dir)
	}
	dir = filepath.Clean(dir)
	root, err := evalExisting(filepath.Clean(outputDir))
	if err != nil {
		return "", fmt.Errorf("output directory %s: %w", outputDir, err)
	}
	real, err := evalExisting(dir)
	if err != nil {
		return "", fmt.Errorf("run_dir %q: %w", recorded, err)
	}
	if real == root || !within(root, real) {
		return "", fmt.Errorf("run_dir %q is outside the output directory %s; "+
			"evalplan reads run directories only under output_dir: restore the state file (or its .backup), or remove the run with `evalplan state rm`", recorded, outputDir)
	}
	return dir, nil
}

// within reports whether path is root or below it; both are clean and absolute.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// evalExisting resolves the symlinks of the longest existing prefix of path and joins the
// rest, which does not exist yet, unchanged.
func evalExisting(path string) (string, error) {
	var rest []string
	p := path
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return path, nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}
