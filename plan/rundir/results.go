package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evalplan/evalplan/plan/result"
)

// WriteResults writes res to results.json in dir atomically.
func WriteResults(dir string, res *result.Result) error {
	return writeJSON(filepath.Join(dir, ResultsFile), res)
}

// ReadResults reads results.json in dir. A missing file is an error that matches
// fs.ErrNotExist.
func ReadResults(dir string) (*result.Result, error) {
	var res result.Result
	if err := readJSON(filepath.Join(dir, ResultsFile), &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// HasResults reports whether dir holds a results.json: whether its run ended with a result
// that is still there.
func HasResults(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ResultsFile))
	return err == nil
}

// WriteRunConfig writes v, the runner's description of the run, to run_config.json in dir
// atomically.
func WriteRunConfig(dir string, v any) error {
	return writeJSON(filepath.Join(dir, RunConfigFile), v)
}

// ReadRunConfig decodes run_config.json in dir into v. A missing file is an error that
// matches fs.ErrNotExist.
func ReadRunConfig(dir string, v any) error {
	return readJSON(filepath.Join(dir, RunConfigFile), v)
}

// selectionDoc is the part of run_config.json that SelectionSize reads.
type selectionDoc struct {
	Selection struct {
		N int64 `json:"n"`
	} `json:"selection"`
}

// SelectionSize reads the number of selected samples from run_config.json in dir; 0 when
// the file is missing or does not say (it is being replaced, or another runner wrote it).
func SelectionSize(dir string) (int64, error) {
	data, err := os.ReadFile(filepath.Join(dir, RunConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read run config: %w", err)
	}
	var doc selectionDoc
	if json.Unmarshal(data, &doc) != nil {
		return 0, nil
	}
	return doc.Selection.N, nil
}

// readJSON decodes the JSON file at path into v.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return nil
}

// writeJSON writes v as indented JSON to path atomically: a temporary file in the same
// directory, fsynced, then renamed over path.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	data = append(data, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), werr)
	}
	return nil
}
