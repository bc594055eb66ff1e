package status

import "github.com/evalplan/evalplan/plan/rundir"

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

// Journal counts one run's samples.jsonl as it grows, reading only what was appended since
// the previous Read (through a rundir.Tail). A Journal is not safe for concurrent use.
type Journal struct {
	tail   *rundir.Tail
	failed map[string]bool // id → its last line is an error
	counts Counts
}

// NewJournal follows the journal at path, which need not exist yet.
func NewJournal(path string) *Journal {
	return &Journal{tail: rundir.NewTail(path), failed: map[string]bool{}}
}

// NewRequestsJournal follows a container run's request journal (rundir.RequestsFile): each
// request the harness sent counts as done, those it got no answer for as errors.
func NewRequestsJournal(path string) *Journal {
	return &Journal{tail: rundir.NewRequestsTail(path), failed: map[string]bool{}}
}

// Read reads the lines appended since the previous Read and returns the counts so far. A
// missing journal counts nothing; a journal that shrank (replaced) is counted again from
// the start. Lines that are not JSON objects with an id are skipped.
func (j *Journal) Read() (Counts, error) {
	outcomes, restarted, err := j.tail.Read()
	if restarted {
		j.failed, j.counts = map[string]bool{}, Counts{}
	}
	if err != nil {
		return j.snapshot(), err
	}
	for i := range outcomes {
		j.count(&outcomes[i])
	}
	return j.snapshot(), nil
}

// count adds one journal line to the counts.
func (j *Journal) count(o *rundir.Outcome) {
	j.counts.Lines++
	was, seen := j.failed[o.ID]
	isErr := o.Error != nil
	j.failed[o.ID] = isErr
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
		j.counts.LastErrors = append(j.counts.LastErrors, o.ID+": "+*o.Error)
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
