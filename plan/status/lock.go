package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/evalplan/evalplan/plan/state"
)

// LockHolder reports whether a live process holds the lock of the state file at statePath,
// and who (as the holder wrote it into the lock file). It never takes the lock. A missing or
// empty lock file means nobody holds it.
func LockHolder(statePath string) (state.Holder, bool, error) {
	path := state.LockPath(statePath)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state.Holder{}, false, nil
	}
	if err != nil {
		return state.Holder{}, false, fmt.Errorf("read state lock: %w", err)
	}
	var h state.Holder
	if len(strings.TrimSpace(string(data))) > 0 {
		// A holder that is just writing its details reads as unknown, not as an error.
		_ = json.Unmarshal(data, &h)
	}
	held, err := lockHeld(path, h)
	if err != nil {
		return state.Holder{}, false, fmt.Errorf("read state lock: %w", err)
	}
	return h, held, nil
}

// lockHeld decides whether the lock file at path is flock-ed now. Where the kernel's lock
// table cannot be read, it falls back to the liveness of the recorded holder.
func lockHeld(path string, h state.Holder) (bool, error) {
	if held, known, err := kernelLockHeld(path); err != nil || known {
		return held, err
	}
	if h.PID == 0 {
		return false, nil
	}
	if host, _ := os.Hostname(); h.Host != "" && h.Host != host {
		return true, nil // another machine's process: it cannot be checked from here
	}
	return processAlive(h.PID), nil
}
