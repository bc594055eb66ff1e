package state

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// pollInterval is how often a waiting Acquire retries the lock.
const pollInterval = 100 * time.Millisecond

// ExitLocked is the exit status of a command that found the state locked (DESIGN §5).
const ExitLocked = 5

// LockPath returns the lock file that guards the state file at statePath.
func LockPath(statePath string) string { return statePath + ".lock" }

// Holder describes the process that holds a state lock. It is stored as JSON in the lock
// file so that another process can say who holds it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

// CurrentHolder describes this process running command (e.g. "evalplan apply"), started now.
func CurrentHolder(command string) Holder {
	host, _ := os.Hostname()
	return Holder{
		PID:     os.Getpid(),
		Host:    host,
		Command: command,
		Started: time.Now().UTC().Truncate(time.Second),
	}
}

// Lock is a held lock on a state file: an exclusive flock on <state>.lock. The kernel
// releases it when the holding process dies, so a crashed holder never blocks anyone.
//
// flock belongs to an open file description, not to a process: a second [Acquire] in the
// same process fails with [*LockedError] too, just as one from another process does.
type Lock struct {
	fl *flock.Flock
}

// LockedError reports that another holder has the state locked. Callers map it to exit
// status [ExitLocked] (errors.As).
type LockedError struct {
	// Path is the state file whose lock is held.
	Path string
	// Holder is read, best effort, from the lock file; zero when unknown.
	Holder Holder
	// Waited is how long Acquire waited before giving up; 0 when it did not wait.
	Waited time.Duration
}

// Error describes the holder and says what to do.
func (e *LockedError) Error() string {
	var b strings.Builder
	b.WriteString("state is locked by ")
	b.WriteString(e.Holder.describe())
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; still locked after waiting %s; wait for it to finish, or retry with a longer -lock-timeout", e.Waited)
	} else {
		b.WriteString("; wait for it to finish, or retry with -lock-timeout=5m")
	}
	return b.String()
}

// ExitCode returns [ExitLocked].
func (e *LockedError) ExitCode() int { return ExitLocked }

// describe renders whatever is known of the holder.
func (h Holder) describe() string {
	if h.PID == 0 && h.Command == "" && h.Host == "" {
		return "another process (holder unknown)"
	}
	return h.Describe()
}

// Describe says who holds a lock: "pid 123 (evalplan apply) on host h since T".
func (h Holder) Describe() string {
	var b strings.Builder
	if h.PID != 0 {
		fmt.Fprintf(&b, "pid %d", h.PID)
	} else {
		b.WriteString("a process")
	}
	if h.Command != "" {
		fmt.Fprintf(&b, " (%s)", h.Command)
	}
	if h.Host != "" {
		fmt.Fprintf(&b, " on host %s", h.Host)
	}
	if !h.Started.IsZero() {
		fmt.Fprintf(&b, " since %s", h.Started.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Acquire locks the state file at statePath for holder h, creating <statePath>.lock if
// needed. When another holder has it, a zero timeout fails at once with [*LockedError];
// a positive timeout retries until the lock is free, the timeout passes (then
// [*LockedError]) or ctx is done (then ctx's error). Once it holds the lock it removes the
// temporary files an interrupted [WriteAtomic] of the state left ([CleanTemps]).
func Acquire(ctx context.Context, statePath string, h Holder, timeout time.Duration) (*Lock, error) {
	path := LockPath(statePath)
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock state %s: %w", statePath, err)
	}
	if !ok && timeout > 0 {
		ok, err = wait(ctx, fl, timeout)
		if err != nil {
			return nil, fmt.Errorf("lock state %s: %w", statePath, err)
		}
	}
	if !ok {
		return nil, &LockedError{Path: statePath, Holder: readHolder(path), Waited: timeout}
	}
	acquired := time.Now()
	if err := writeHolder(path, h); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("lock state %s: %w", statePath, err)
	}
	// A writer killed mid-write left its temporary files; no one else writes the state
	// while we hold the lock, so those older than now are litter. Cleaning is best effort.
	_, _ = CleanTemps(statePath, acquired)
	return &Lock{fl: fl}, nil
}

// wait retries fl until it is locked, timeout passes or ctx is done.
func wait(ctx context.Context, fl *flock.Flock, timeout time.Duration) (bool, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-deadline.C:
			return fl.TryLock() // one last try
		case <-tick.C:
			if ok, err := fl.TryLock(); ok || err != nil {
				return ok, err
			}
		}
	}
}

// Release empties the lock file and releases the lock. Releasing twice is harmless.
func (l *Lock) Release() error {
	if !l.fl.Locked() {
		return nil
	}
	terr := os.Truncate(l.fl.Path(), 0)
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("release state lock %s: %w", l.fl.Path(), err)
	}
	if terr != nil {
		return fmt.Errorf("release state lock %s: %w", l.fl.Path(), terr)
	}
	return nil
}

// writeHolder replaces the lock file's content with h. Only the flock holder calls it.
func writeHolder(path string, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readHolder reads the holder from the lock file; zero when it cannot.
func readHolder(path string) Holder {
	var h Holder
	data, err := os.ReadFile(path)
	if err != nil {
		return Holder{}
	}
	if json.Unmarshal(data, &h) != nil {
		return Holder{}
	}
	return h
}
