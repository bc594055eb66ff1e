//go:build unix

package rundir_test

import (
	"errors"
	"testing"

	"github.com/evalplan/evalplan/plan/rundir"
)

// TestLock: a run directory has one writer at a time; the lock is free again once released.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	release, err := rundir.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rundir.Lock(dir); !errors.Is(err, rundir.ErrBusy) {
		t.Fatalf("second Lock: %v, want ErrBusy", err)
	}
	release()
	again, err := rundir.Lock(dir)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	again()
}
