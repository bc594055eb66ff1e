package rundir

import "errors"

// LockFile is the file in a run directory that the process performing the run holds
// locked while the run executes ([Lock]).
const LockFile = ".evalplan-run.lock"

// ErrBusy is returned by [Lock] when another process holds the run directory's lock: an
// apply of another project sharing the output directory is writing it.
var ErrBusy = errors.New("the run directory is in use by another evalplan process (a project sharing the output directory?)")

// Lock takes the run directory's lock, an exclusive advisory lock on DIR/.evalplan-run.lock
// (created when absent), and returns the function that releases it. It fails with ErrBusy
// when another process holds it. The operating system drops the lock with the process that
// held it, so a killed apply never leaves a stale one. Where advisory locks are not
// available (not Unix), Lock always succeeds.
func Lock(dir string) (release func(), err error) {
	return lock(dir)
}
