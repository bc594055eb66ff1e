package main

import (
	"fmt"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/state"
)

// session is what a command opens before its work: the configuration and engine, the state
// file's path, the state lock when the command takes it, and the state as read.
type session struct {
	// loaded is the configuration and engine; nil when opened with stateOnly.
	loaded *loaded
	// path is the state file.
	path string
	// lock is the state lock; nil when the command does not lock (-lock=false, or a command
	// without the -lock flag) or was opened with configOnly.
	lock *state.Lock
	// state is the state as read, a new empty one when there is no state file yet; nil
	// when opened with configOnly.
	state *state.File
	// exists reports whether the state file exists.
	exists bool
}

// release releases the state lock if the session holds it.
func (s *session) release() {
	if s.lock != nil {
		s.lock.Release()
	}
}

// openOption changes which steps [cli.open] takes.
type openOption func(*openSteps)

// openSteps are the steps [cli.open] takes, as its options set them.
type openSteps struct {
	configOnly bool
	stateOnly  bool
	afterLoad  func(*loaded) bool
}

// configOnly opens the configuration and engine only: no lock is taken, no state read.
func configOnly() openOption { return func(o *openSteps) { o.configOnly = true } }

// stateOnly finds the state file as [cli.statePath] does, loading the configuration quietly
// and without variables, and builds no engine: for commands that only read or edit state.
func stateOnly() openOption { return func(o *openSteps) { o.stateOnly = true } }

// afterLoad runs check on the loaded configuration before the lock is taken; when it
// reports false (having printed why), open stops with exitError.
func afterLoad(check func(*loaded) bool) openOption {
	return func(o *openSteps) { o.afterLoad = check }
}

// open is the opening every command that needs the configuration or the state shares: it
// loads the configuration (printing its diagnostics, coloured unless -no-color), takes the
// state lock when f.lock is set (the -lock flag, with -lock-timeout) for the holder command,
// the command line without "evalplan", and reads the state. It prints what fails and
// returns the exit code for it (exitLocked when another process holds the lock). A session
// opened without configOnly may hold the lock: the caller defers its release.
func (c *cli) open(f *commonFlags, command []string, opts ...openOption) (*session, int, bool) {
	var steps openSteps
	for _, opt := range opts {
		opt(&steps)
	}
	s := &session{}
	if steps.stateOnly {
		path, ok := c.statePath()
		if !ok {
			return nil, exitError, false
		}
		s.path = path
	} else {
		l, ok := c.load(f)
		if !ok {
			return nil, exitError, false
		}
		s.loaded, s.path = l, l.cfg.Settings.State
	}
	if steps.afterLoad != nil && !steps.afterLoad(s.loaded) {
		return nil, exitError, false
	}
	if steps.configOnly {
		return s, exitOK, true
	}
	lock, code, ok := c.lockState(s.path, commandLine(command), f)
	if !ok {
		return nil, code, false
	}
	s.lock = lock
	st, exists, ok := c.openState(s.path)
	if !ok {
		s.release()
		return nil, exitError, false
	}
	if s.loaded != nil {
		if err := plan.CheckRunDirs(s.loaded.cfg, st); err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			s.release()
			return nil, exitError, false
		}
	}
	s.state, s.exists = st, exists
	return s, exitOK, true
}
