//go:build unix

package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runGroup runs a command in a process group of its own; when ctx ends, the group gets
// SIGTERM and, grace later, SIGKILL. While it runs, runDir holds its record (processFile),
// so that a later attempt finds it if evalplan is killed meanwhile (cleanupLeftover). It
// returns the exit code, and ctx's error when ctx ended the command.
func runGroup(ctx context.Context, path string, args []string, dir string, env []string, logs io.Writer, grace time.Duration, runDir string) (int64, error) {
	cmd, err := startGroup(path, args, dir, env, logs, runDir)
	if err != nil {
		return -1, err
	}
	defer os.Remove(filepath.Join(runDir, processFile))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
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

// startGroup starts a command as the leader of a new process group and records it in
// runDir (processFile). A record that cannot be written is said in logs: the run goes on,
// but a killed apply would leave the process to run.
func startGroup(path string, args []string, dir string, env []string, logs io.Writer, runDir string) (*exec.Cmd, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := recordProcess(runDir, cmd.Process.Pid); err != nil {
		fmt.Fprintf(logs, "evalplan: %v; if evalplan is killed, stop process group %d yourself\n", err, cmd.Process.Pid)
	}
	return cmd, nil
}

// processFile, in a run directory, records the evaluator process group of the attempt that
// runs there; it is removed when the process ends.
const processFile = ".evalplan-process.json"

// processRecord is what processFile holds: enough to find the process again and to be sure
// it is the same one (a pid is reused; a pid and its start time since boot are not).
type processRecord struct {
	PID  int `json:"pid"`
	PGID int `json:"pgid"`
	// StartTime is field 22 of /proc/PID/stat: clock ticks from boot to the process's start.
	StartTime uint64 `json:"start_time"`
	// BootID is /proc/sys/kernel/random/boot_id: start times count from this boot.
	BootID string `json:"boot_id"`
	// RunDir is the run directory the process writes into.
	RunDir string `json:"run_dir"`
}

func recordProcess(runDir string, pid int) error {
	st, err := readStat(pid)
	if err != nil {
		return fmt.Errorf("record the evaluator process: %w", err)
	}
	b, err := json.Marshal(processRecord{PID: pid, PGID: st.pgid, StartTime: st.start, BootID: bootID(), RunDir: runDir})
	if err != nil {
		return fmt.Errorf("record the evaluator process: %w", err)
	}
	if err := os.WriteFile(filepath.Join(runDir, processFile), b, 0o644); err != nil {
		return fmt.Errorf("record the evaluator process: %w", err)
	}
	return nil
}

// cleanupLeftover stops the evaluator processes that an earlier attempt in runDir left
// running (evalplan killed with SIGKILL: its process group lives on), and removes the
// record. The group is stopped (SIGTERM, grace, SIGKILL) only when it is provably the
// recorded one: its leader alive with the recorded start time, or, the leader gone, members
// of the recorded group (a group's id is not reused while it has members). A recorded pid
// now held by another process is left alone. It returns what it did, "" when nothing.
func cleanupLeftover(ctx context.Context, runDir string, grace time.Duration) (string, error) {
	path := filepath.Join(runDir, processFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	var rec processRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.PID <= 1 || rec.PGID <= 1 {
		return "", os.Remove(path) // unreadable: nothing can be proved about it
	}
	if rec.BootID != bootID() || rec.RunDir != runDir {
		return "", os.Remove(path) // another boot, or a copied run directory
	}
	st, err := readStat(rec.PID)
	switch {
	case err == nil && (st.start != rec.StartTime || st.pgid != rec.PGID):
		return fmt.Sprintf("the recorded evaluator process %d of an earlier attempt is gone (the pid is another process's now): nothing to stop", rec.PID), os.Remove(path)
	case err != nil && len(groupMembers(rec.PGID)) == 0:
		return "", os.Remove(path)
	}
	n := len(groupMembers(rec.PGID))
	if err := stopGroup(ctx, rec.PGID, grace); err != nil {
		return "", err
	}
	return fmt.Sprintf("stopped %d leftover evaluator process(es) (process group %d) of an earlier, interrupted attempt", n, rec.PGID), os.Remove(path)
}

// stopGroup sends the group SIGTERM, and SIGKILL when members remain after grace; it returns
// when none remains.
func stopGroup(ctx context.Context, pgid int, grace time.Duration) error {
	gone := func(within time.Duration) bool {
		deadline := time.Now().Add(within)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for len(groupMembers(pgid)) > 0 {
			if time.Now().After(deadline) {
				return false
			}
			select {
			case <-ctx.Done():
				return false
			case <-tick.C:
			}
		}
		return true
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	if gone(grace) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if !gone(10 * time.Second) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("the leftover evaluator process group %d of an earlier attempt survives SIGKILL: stop it (kill -KILL -- -%d) and apply again", pgid, pgid)
	}
	return nil
}

// procStat is what a process's /proc/PID/stat says of its group and start.
type procStat struct {
	pgid   int
	start  uint64
	zombie bool
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces: fields are counted
	// after its closing parenthesis, from field 3 (the state).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	pgid, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return procStat{pgid: pgid, start: start, zombie: f[0] == "Z"}, nil
}

// groupMembers lists the live (not zombie) processes of a process group.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.pgid == pgid && !st.zombie {
			out = append(out, pid)
		}
	}
	return out
}

func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

func exitCode(err error) int64 {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return int64(ee.ExitCode())
	}
	return -1
}
