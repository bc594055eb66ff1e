package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const helperEnv = "EVALPLAN_STATE_TEST_HELPER"

// TestHelperProcess is not a test: it is the child process that other tests start.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	path := os.Getenv(helperEnv + "_PATH")
	var err error
	switch mode {
	case "crash":
		err = crashHelper(path)
	case "lock":
		err = lockHelper(path)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// lockHelper takes the lock, says "locked", holds it until stdin closes, then releases it.
func lockHelper(path string) error {
	l, err := Acquire(context.Background(), path, CurrentHolder("evalplan apply"), 0)
	if err != nil {
		return err
	}
	fmt.Println("locked")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	return l.Release()
}

// startHelper runs this test binary as a helper child in mode. It returns the command,
// the child's stdin and its stdout; the child is killed when the test ends.
func startHelper(t *testing.T, mode, path string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperEnv+"_PATH="+path,
		"GORACE=atexit_sleep_ms=0") // under -race, exit without the default 1 s pause
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdin, bufio.NewReader(stdout)
}

// startLockHolder starts a helper child that holds the lock on path.
func startLockHolder(t *testing.T, path string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd, stdin, out := startHelper(t, "lock", path)
	line, err := out.ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper did not lock: %q, %v", line, err)
	}
	return cmd, stdin
}

func wantLocked(t *testing.T, err error, pid int) *LockedError {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want *LockedError", err)
	}
	if le.Holder.PID != pid || le.Holder.Command != "evalplan apply" {
		t.Errorf("holder = %+v, want pid %d, command %q", le.Holder, pid, "evalplan apply")
	}
	if want := fmt.Sprintf("state is locked by pid %d (evalplan apply) on host ", pid); !strings.HasPrefix(le.Error(), want) {
		t.Errorf("Error() = %q, want prefix %q", le.Error(), want)
	}
	return le
}

func TestLockOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	child, stdin := startLockHolder(t, path)
	ctx := t.Context()

	_, err := Acquire(ctx, path, CurrentHolder("evalplan plan"), 0)
	wantLocked(t, err, child.Process.Pid)

	// With a timeout, Acquire waits until the child releases.
	type res struct {
		l   *Lock
		err error
	}
	got := make(chan res, 1)
	go func() {
		l, err := Acquire(ctx, path, CurrentHolder("evalplan plan"), time.Hour)
		got <- res{l, err}
	}()
	stdin.Close()
	r := <-got
	if r.err != nil {
		t.Fatalf("Acquire with timeout: %v", r.err)
	}
	if err := child.Wait(); err != nil {
		t.Errorf("helper: %v", err)
	}
	if h := readHolder(LockPath(path)); h.PID != os.Getpid() || h.Command != "evalplan plan" {
		t.Errorf("lock file holder = %+v, want this process", h)
	}
	if err := r.l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := r.l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if diff := cmp.Diff(Holder{}, readHolder(LockPath(path))); diff != "" {
		t.Errorf("lock file not emptied on release:\n%s", diff)
	}
}

func TestLockFreedWhenHolderKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	child, _ := startLockHolder(t, path)
	if _, err := Acquire(t.Context(), path, CurrentHolder("evalplan plan"), 0); err == nil {
		t.Fatal("Acquire succeeded while the child holds the lock")
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	l, err := Acquire(t.Context(), path, CurrentHolder("evalplan plan"), 0)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// TestLockSameProcess shows that flock belongs to an open file description: a second
// Acquire in the same process fails just as one from another process does.
func TestLockSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	h := CurrentHolder("evalplan apply")
	l, err := Acquire(t.Context(), path, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(t.Context(), path, h, 0)
	le := wantLocked(t, err, os.Getpid())
	if diff := cmp.Diff(h, le.Holder); diff != "" {
		t.Errorf("holder read back (-want +got):\n%s", diff)
	}

	_, err = Acquire(t.Context(), path, h, time.Millisecond)
	if le := wantLocked(t, err, os.Getpid()); le.Waited != time.Millisecond {
		t.Errorf("Waited = %v, want 1ms", le.Waited)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Acquire(ctx, path, h, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context: %v, want context.Canceled", err)
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(t.Context(), path, h, 0)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

func TestLockedErrorMessage(t *testing.T) {
	since := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  *LockedError
		want string
	}{
		{"full", &LockedError{Holder: Holder{PID: 1234, Host: "H", Command: "evalplan apply", Started: since}},
			"state is locked by pid 1234 (evalplan apply) on host H since 2026-11-25T10:00:00Z; wait for it to finish, or retry with -lock-timeout=5m"},
		{"unknown holder", &LockedError{},
			"state is locked by another process (holder unknown); wait for it to finish, or retry with -lock-timeout=5m"},
		{"waited", &LockedError{Holder: Holder{PID: 7}, Waited: 5 * time.Minute},
			"state is locked by pid 7; still locked after waiting 5m0s; wait for it to finish, or retry with a longer -lock-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() (-want +got):\n%s", diff)
			}
			if tt.err.ExitCode() != 5 {
				t.Errorf("ExitCode() = %d", tt.err.ExitCode())
			}
		})
	}
}
