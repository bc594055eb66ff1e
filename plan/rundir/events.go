package rundir

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Event is one line of a run's EventsFile.
type Event struct {
	Time time.Time `json:"time"`
	// Kind classifies it: "concurrency" for a change of the endpoint's limit.
	Kind string `json:"kind"`
	// Message is for people: "concurrency lowered 64 → 32: GPU 0 at 97% memory".
	Message string `json:"message"`
}

// AppendEvent appends e to the EventsFile of dir.
func AppendEvent(dir string, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode the event: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, EventsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("record the event: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("record the event: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("record the event: %w", err)
	}
	return nil
}

// ReadEvents reads the EventsFile of dir; none when it does not exist. Lines that are not
// events are skipped.
func ReadEvents(dir string) ([]Event, error) {
	f, err := os.Open(filepath.Join(dir, EventsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the run's events: %w", err)
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Message != "" {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read the run's events: %w", err)
	}
	return out, nil
}
