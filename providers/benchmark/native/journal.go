package native

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/evalplan/evalplan/providers/openai"
)

// JournalFile is the name of the journal in a run directory.
const JournalFile = "samples.jsonl"

// syncEvery is how many journal lines are written between two fsyncs.
const syncEvery = 256

// Record is one line of samples.jsonl: one finished sample, answered or failed.
type Record struct {
	ID string `json:"id"`
	// Prompt is []openai.Message for chat endpoints and a string for completions.
	Prompt any `json:"prompt"`
	// Response is nil when the request failed.
	Response *string `json:"response"`
	Target   string  `json:"target"`
	// Extracted maps metric name to the extracted answer as the reference yields it
	// (GSM8K's no-match is "[invalid]"); empty for a failed request.
	Extracted map[string]*string `json:"extracted"`
	// Score maps metric name to the sample's score; empty for a failed request.
	Score map[string]float64 `json:"score"`
	// Error is nil for an answered and scored sample. A sample whose judge failed or gave
	// an unparsable answer has its Response and an Error.
	Error     *string      `json:"error"`
	LatencyMS float64      `json:"latency_ms"`
	Usage     openai.Usage `json:"usage"`
	Attempts  int          `json:"attempts"`
	// Judge is the judge endpoint's raw answer, when one was asked.
	Judge *string `json:"judge,omitempty"`
	// Groups maps subscore group to the sample's name in it, such as
	// {"subject": "anatomy", "category": "STEM"}; absent for tasks without subscores.
	Groups map[string]string `json:"groups,omitempty"`
}

// ReadJournal calls fn for every line of the journal at path, in order. Lines that do not
// parse (such as a last line cut short by a crash) are skipped. A missing file has no lines.
// For each id the last line wins.
func ReadJournal(path string, fn func(*Record) error) error {
	return readLines(path, func(line []byte) error {
		var rec Record
		if json.Unmarshal(line, &rec) != nil || rec.ID == "" {
			return nil
		}
		return fn(&rec)
	})
}

// readLines calls fn for every non-empty line of the file at path; a missing file has none.
func readLines(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, rerr := br.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			// A line longer than the buffer: collect the rest of it.
			long := append([]byte(nil), line...)
			for errors.Is(rerr, bufio.ErrBufferFull) {
				line, rerr = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			if err := fn(line); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("read journal: %w", rerr)
		}
	}
}

// outcome is what the journal says about one sample (its last line), compactly: a run
// keeps one per selected sample in memory.
type outcome struct {
	err string // "" when answered
	// scores are the sample's scores by metric, in the order of task.metrics (0 when the
	// line lacks one).
	scores []float64
	// groups are the sample's names by subscore group, in the order of task.groups; nil
	// for tasks without groups.
	groups []groupName
}

// groupName is a sample's name in one subscore group; ok is false when it has none.
type groupName struct {
	name string
	ok   bool
}

// newOutcome is the outcome of a journal line with the given error, scores and groups.
func newOutcome(t task, errMsg *string, scores map[string]float64, groups map[string]string) outcome {
	if errMsg != nil {
		if *errMsg == "" {
			return outcome{err: "unknown error"}
		}
		return outcome{err: *errMsg}
	}
	names := t.metrics()
	o := outcome{scores: make([]float64, len(names))}
	for i, name := range names {
		o.scores[i] = scores[name]
	}
	if gs := t.groups(); len(gs) > 0 {
		o.groups = make([]groupName, len(gs))
		for i, g := range gs {
			o.groups[i].name, o.groups[i].ok = groups[g]
		}
	}
	return o
}

// journalLine is the part of a journal line that lastOutcomes reads: not the texts.
type journalLine struct {
	ID     string             `json:"id"`
	Error  *string            `json:"error"`
	Score  map[string]float64 `json:"score"`
	Groups map[string]string  `json:"groups"`
}

// lastOutcomes reads the journal and keeps each id's last line, without the texts.
func lastOutcomes(path string, t task) (map[string]outcome, error) {
	last := map[string]outcome{}
	err := readLines(path, func(line []byte) error {
		var l journalLine
		if json.Unmarshal(line, &l) != nil || l.ID == "" {
			return nil // a line cut short by a crash
		}
		last[l.ID] = newOutcome(t, l.Error, l.Score, l.Groups)
		return nil
	})
	return last, err
}

// journal appends records to samples.jsonl, one write call per line, and fsyncs every
// syncEvery lines. It is safe for concurrent use.
type journal struct {
	mu       sync.Mutex
	f        *os.File
	unsynced int
}

// openJournal opens path for appending, creating it. When the file ends in a line cut
// short, a newline is written first so the next record starts on a line of its own.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j := &journal{f: f}
	if err := j.terminateLastLine(path); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

func (j *journal) terminateLastLine(path string) error {
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	defer r.Close()
	st, err := r.Stat()
	if err != nil {
		return fmt.Errorf("stat journal: %w", err)
	}
	if st.Size() == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read journal: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := j.f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// append writes rec as one line with a single write call. Every syncEvery lines it
// fsyncs, outside the lock, so that other samples keep being journaled meanwhile.
func (j *journal) append(rec *Record) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil { // Encode ends the line with "\n"
		return fmt.Errorf("encode sample %s: %w", rec.ID, err)
	}
	j.mu.Lock()
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		j.mu.Unlock()
		return fmt.Errorf("write journal: %w", err)
	}
	j.unsynced++
	due := j.unsynced >= syncEvery
	if due {
		j.unsynced = 0
	}
	j.mu.Unlock()
	if due {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("sync journal: %w", err)
		}
	}
	return nil
}

// close fsyncs and closes the journal.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	serr := j.f.Sync()
	cerr := j.f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}
