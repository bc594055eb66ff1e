//go:build unix

package container

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// runGroup runs a command in a process group of its own; when ctx ends, the group gets
// SIGTERM and, grace later, SIGKILL. It returns the exit code, and ctx's error when ctx
// ended the command.
func runGroup(ctx context.Context, path string, args []string, dir string, env []string, logs io.Writer, grace time.Duration) (int64, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case err = <-done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			err = <-done
		}
		return exitCode(err), ctx.Err()
	}
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return int64(ee.ExitCode()), nil
	}
	return -1, err
}

func exitCode(err error) int64 {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return int64(ee.ExitCode())
	}
	return -1
}
