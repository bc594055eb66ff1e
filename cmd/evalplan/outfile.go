package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
)

// outputTarget is a file a command writes because the user named it (plan -out, report -o),
// with the inputs it must never replace.
type outputTarget struct {
	// Flag names the option, such as "-out", for messages.
	Flag string
	// Path is the absolute path to write.
	Path string
	// State is the state file; it, its backup and its lock are inputs.
	State string
	// Vars holds the -var-file arguments; their files are inputs.
	Vars []config.VarArg
}

// check refuses a target that would destroy an input or is not a file to replace: the state
// file, its backup or lock, a configuration or variable file (*.hcl, -var-file), a
// directory, a symlink, or a device or other non-regular file. A new path or an existing
// regular file is fine.
func (t outputTarget) check(c *cli) error {
	refuse := func(what string) error {
		return fmt.Errorf("%s %s is %s; evalplan will not write over it. Name a new file, or a regular file that holds only evalplan output", t.Flag, t.Path, what)
	}
	if strings.HasSuffix(t.Path, ".hcl") {
		return refuse("a configuration or variable file (*.hcl)")
	}
	fi, err := os.Lstat(t.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("%s %s: %w", t.Flag, t.Path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return refuse("a symlink")
	case fi.IsDir():
		return refuse("a directory")
	case !fi.Mode().IsRegular():
		return refuse("not a regular file (a device, pipe or socket)")
	}
	inputs := map[string]string{
		t.State:                   "the state file",
		state.BackupPath(t.State): "the state file's backup",
		state.LockPath(t.State):   "the state lock",
	}
	for _, v := range t.Vars {
		if v.File != "" {
			inputs[c.abs(v.File)] = "a variable file (-var-file)"
		}
	}
	for in, what := range inputs {
		if samePath(t.Path, in) {
			return refuse(what)
		}
	}
	return nil
}

// write checks the target, then replaces it atomically with data.
func (t outputTarget) write(c *cli, data []byte) error {
	if err := t.check(c); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(t.Path), 0o755); err != nil {
		return err
	}
	return state.ReplaceFile(t.Path, data)
}

// samePath reports whether a and b name the same file: the same existing file, or the same
// path once the symlinks of their directories are resolved.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	return realPath(a) == realPath(b)
}

// realPath is path with the symlinks of its directory resolved, when the directory exists.
func realPath(path string) string {
	path = filepath.Clean(path)
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return path
}
