package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Files of a run directory (DESIGN §7) that progress is read from.
const (
	JournalFile   = "samples.jsonl"
	RunConfigFile = "run_config.json"
)

// maxLastErrors is how many recent error lines a Journal keeps.
const maxLastErrors = 3

// Counts is what a journal says so far.
type Counts struct {
	// Lines is the number of complete lines read: requests finished, retries of earlier
	// errors included.
	Lines int64
	// Done is the number of distinct sample ids journaled; Errors those whose last line is an
	// error.
	Done, Errors int64
	// LastErrors are the most recent error lines, "ID: message", oldest first.
	LastErrors []string
}

// Journal follows one run's samples.jsonl, reading only what was appended since the previous
// Read. A Journal is not safe for concurrent use.
type Journal struct {
	path   string
	offset int64
	rest   []byte          // an incomplete last line, completed by a later Read
	failed map[string]bool // id → its last line is an error
	counts Counts
}

// NewJournal follows the journal at path, which need not exist yet.
func NewJournal(path string) *Journal {
	return &Journal{path: path, failed: map[string]bool{}}
}

// journalLine is the part of a journal line progress needs.
type journalLine struct {
	ID    string  `json:"id"`
	Error *string `json:"error"`
}

// Read reads the lines appended since the previous Read and returns the counts so far. A
// missing journal counts nothing; a journal that shrank (replaced) is read again from the
// start. Lines that are not JSON objects with an id are skipped.
func (j *Journal) Read() (Counts, error) {
	f, err := os.Open(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return j.snapshot(), nil
	}
	if err != nil {
		return j.snapshot(), fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return j.snapshot(), fmt.Errorf("read journal: %w", err)
	}
	if st.Size() < j.offset {
		*j = *NewJournal(j.path)
	}
	if _, err := f.Seek(j.offset, io.SeekStart); err != nil {
		return j.snapshot(), fmt.Errorf("read journal: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, st.Size()-j.offset))
	if err != nil {
		return j.snapshot(), fmt.Errorf("read journal: %w", err)
	}
	j.offset += int64(len(data))
	j.feed(data)
	return j.snapshot(), nil
}

// feed counts the complete lines in data (after any incomplete line left from before).
func (j *Journal) feed(data []byte) {
	buf := append(j.rest, data...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		j.line(buf[:i])
		buf = buf[i+1:]
	}
	j.rest = append([]byte(nil), buf...)
}

func (j *Journal) line(b []byte) {
	var l journalLine
	if json.Unmarshal(b, &l) != nil || l.ID == "" {
		return
	}
	j.counts.Lines++
	was, seen := j.failed[l.ID]
	isErr := l.Error != nil
	j.failed[l.ID] = isErr
	if !seen {
		j.counts.Done++
	}
	switch {
	case isErr && (!seen || !was):
		j.counts.Errors++
	case !isErr && seen && was:
		j.counts.Errors--
	}
	if isErr {
		j.counts.LastErrors = append(j.counts.LastErrors, l.ID+": "+*l.Error)
		if n := len(j.counts.LastErrors); n > maxLastErrors {
			j.counts.LastErrors = append([]string(nil), j.counts.LastErrors[n-maxLastErrors:]...)
		}
	}
}

func (j *Journal) snapshot() Counts {
	c := j.counts
	c.LastErrors = append([]string(nil), c.LastErrors...)
	return c
}

// runConfig is the part of run_config.json progress needs.
type runConfig struct {
	Selection struct {
		N int64 `json:"n"`
	} `json:"selection"`
}

// SelectionSize reads the number of selected samples from run_config.json in runDir; 0 when
// the file is missing or does not say.
func SelectionSize(runDir string) (int64, error) {
	data, err := os.ReadFile(filepath.Join(runDir, RunConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read run config: %w", err)
	}
	var rc runConfig
	if json.Unmarshal(data, &rc) != nil {
		return 0, nil // being replaced, or another runner's format
	}
	return rc.Selection.N, nil
}
