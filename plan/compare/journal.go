package compare

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// JournalFile is the name of the per-sample journal in a run directory.
const JournalFile = "samples.jsonl"

// Sample is what a journal says about one sample: its last line.
type Sample struct {
	// Score maps metric name to the sample's score; empty when the request failed.
	Score map[string]float64
	// Errored is true when the last attempt at the sample failed.
	Errored bool
}

// line is the part of a journal line a comparison needs.
type line struct {
	ID    string             `json:"id"`
	Score map[string]float64 `json:"score"`
	Error *string            `json:"error"`
}

// ReadJournal reads a samples.jsonl file and returns each id's last line. Lines that do not
// parse (such as a last line cut short by a crash) are skipped; a missing file has no
// samples.
func ReadJournal(path string) (map[string]Sample, error) {
	out := map[string]Sample{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		b, rerr := br.ReadBytes('\n')
		var l line
		if len(b) > 0 && json.Unmarshal(b, &l) == nil && l.ID != "" {
			out[l.ID] = Sample{Score: l.Score, Errored: l.Error != nil}
		}
		if errors.Is(rerr, io.EOF) {
			return out, nil
		}
		if rerr != nil {
			return nil, fmt.Errorf("read journal %s: %w", path, rerr)
		}
	}
}

// ReadRun reads the journal of the run directory dir.
func ReadRun(dir string) (map[string]Sample, error) {
	return ReadJournal(filepath.Join(dir, JournalFile))
}
