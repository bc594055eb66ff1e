package rundir

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
)

// syncEvery is how many journal lines are written between two fsyncs.
const syncEvery = 256

// ReadJournal calls fn for every line of the journal at path, in order. Lines that do not
// parse (such as a last line cut short by a crash) or have no id are skipped. A missing file
// has no lines. For each id the last line wins: callers that keep one record per id keep
// the last one fn sees.
func ReadJournal(path string, fn func(*Record) error) error {
	return readLines(path, func(line []byte) error {
		var rec Record
		if json.Unmarshal(line, &rec) != nil || rec.ID == "" {
			return nil
		}
		return fn(&rec)
	})
}

// ReadOutcomes is ReadJournal for the outcome of each line only: it skips the same lines
// and never decodes the texts.
func ReadOutcomes(path string, fn func(*Outcome) error) error {
	return readLines(path, func(line []byte) error {
		o, ok := parseOutcome(line)
		if !ok {
			return nil
		}
		return fn(&o)
	})
}

// LastOutcomes reads the journal at path and returns each id's last outcome. Lines that do
// not parse are skipped; a missing file has none.
func LastOutcomes(path string) (map[string]Outcome, error) {
	last := map[string]Outcome{}
	err := ReadOutcomes(path, func(o *Outcome) error {
		last[o.ID] = *o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return last, nil
}

// parseOutcome decodes one journal line; ok is false for a line that does not parse or has
// no id.
func parseOutcome(line []byte) (o Outcome, ok bool) {
	if json.Unmarshal(line, &o) != nil || o.ID == "" {
		return Outcome{}, false
	}
	return o, true
}

// readLines calls fn for every non-empty line of the file at path, the last one even
// without a newline; a missing file has none.
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

// Journal appends records to a journal, one write call per line with no buffering in
// between, and fsyncs every few hundred lines and on Close. It is safe for concurrent use.
type Journal struct {
	mu       sync.Mutex
	f        *os.File
	unsynced int
}

// OpenJournal opens the journal at path for appending, creating it. When the file ends in a
// line cut short, a newline is written first so the next record starts on a line of its own.
func OpenJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j := &Journal{f: f}
	if err := j.terminateLastLine(path); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

func (j *Journal) terminateLastLine(path string) error {
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

// Append writes rec as one line with a single write call. Every few hundred lines it
// fsyncs, outside the lock, so that other samples keep being journaled meanwhile.
func (j *Journal) Append(rec *Record) error {
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

// Close fsyncs and closes the journal.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	serr := j.f.Sync()
	cerr := j.f.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}
