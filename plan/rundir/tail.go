package rundir

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

// Tail follows a journal that is still being written, reading only what was appended since
// the previous Read. A Tail is not safe for concurrent use.
type Tail struct {
	path   string
	offset int64
	rest   []byte // an incomplete last line, completed by a later Read
	parse  func([]byte) (Outcome, bool)
	lines  int64
}

// NewTail follows the journal at path, which need not exist yet.
func NewTail(path string) *Tail {
	return &Tail{path: path, parse: parseOutcome}
}

// NewRequestsTail follows a container run's request journal (RequestsFile), which need not
// exist yet: each request is an outcome, with an id of its own (its line), failed when the
// harness got no answer. It measures a run whose harness writes no per-sample journal while
// it runs.
func NewRequestsTail(path string) *Tail {
	t := &Tail{path: path}
	t.parse = func(line []byte) (Outcome, bool) {
		var r struct {
			Status int    `json:"status"`
			Error  string `json:"error"`
		}
		if json.Unmarshal(line, &r) != nil || r.Status == 0 {
			return Outcome{}, false
		}
		t.lines++
		o := Outcome{ID: fmt.Sprintf("request %d", t.lines)}
		if r.Status != 200 {
			msg := r.Error
			if msg == "" {
				msg = fmt.Sprintf("HTTP %d", r.Status)
			}
			o.Error = &msg
		}
		return o, true
	}
	return t
}

// Read returns the outcomes of the complete lines appended since the previous Read, in
// order; a line still being written is returned by the Read that sees its end. Lines that
// are not JSON objects with an id are skipped, and a missing journal has no lines. When the
// journal shrank since the previous Read (it was replaced), it is read again from the start
// and restarted is true: the caller forgets what earlier Reads returned.
func (t *Tail) Read() (outcomes []Outcome, restarted bool, err error) {
	f, err := os.Open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("read journal: %w", err)
	}
	if st.Size() < t.offset {
		t.offset, t.rest, t.lines, restarted = 0, nil, 0, true
	}
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return nil, restarted, fmt.Errorf("read journal: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, st.Size()-t.offset))
	if err != nil {
		return nil, restarted, fmt.Errorf("read journal: %w", err)
	}
	t.offset += int64(len(data))
	return t.feed(data), restarted, nil
}

// feed parses the complete lines in data (after any incomplete line left from before).
func (t *Tail) feed(data []byte) []Outcome {
	var out []Outcome
	buf := append(t.rest, data...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if o, ok := t.parse(buf[:i]); ok {
			out = append(out, o)
		}
		buf = buf[i+1:]
	}
	t.rest = append([]byte(nil), buf...)
	return out
}

// AnsweredRequests counts the requests of the request journal in dir (RequestsFile) that
// were answered (HTTP 200): what a later attempt of the run replays. A missing journal
// counts 0.
func AnsweredRequests(dir string) (int, error) {
	t := NewRequestsTail(filepath.Join(dir, RequestsFile))
	outcomes, _, err := t.Read()
	n := 0
	for _, o := range outcomes {
		if o.Error == nil {
			n++
		}
	}
	return n, err
}
