package compare

import (
	"path/filepath"

	"github.com/evalplan/evalplan/plan/rundir"
)

// Sample is what a journal says about one sample: its last line.
type Sample struct {
	// Score maps metric name to the sample's score; empty when the request failed.
	Score map[string]float64
	// Errored is true when the last attempt at the sample failed.
	Errored bool
}

// ReadRun reads the journal of the run directory dir and returns each id's last line. Lines
// that do not parse (such as a last line cut short by a crash) are skipped; a missing
// journal has no samples.
func ReadRun(dir string) (map[string]Sample, error) {
	last, err := rundir.LastOutcomes(filepath.Join(dir, rundir.JournalFile))
	if err != nil {
		return nil, err
	}
	out := make(map[string]Sample, len(last))
	for id, o := range last {
		out[id] = Sample{Score: o.Score, Errored: o.Error != nil}
	}
	return out, nil
}
