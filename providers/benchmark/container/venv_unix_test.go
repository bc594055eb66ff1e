//go:build linux

package container

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/state"
)

// leftover starts a long-lived process group in runDir as a venv run starts nemo-evaluator
// (startGroup, which records it), and abandons it as a killed apply does. script runs under
// sh and prints the pid of the leader's child first. The returned channel receives the
// leader's exit, then is closed.
func leftover(t *testing.T, runDir, script string) (*exec.Cmd, int, <-chan error) {
	t.Helper()
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd, err := startGroup("/bin/sh", []string{"-c", script}, runDir, []string{"PATH=/usr/bin:/bin"}, w, runDir)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = killGroup(cmd.Process.Pid)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	// The child's pid, once printed, says the group is fully started.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the process group did not start: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return cmd, child, done
}

func killGroup(pgid int) error {
	return exec.Command("kill", "-KILL", "--", "-"+strconv.Itoa(pgid)).Run()
}

func alive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && !st.zombie
}

// A venv run's evaluator processes left by a killed apply are found by their record and
// stopped before the next attempt; a record whose start time is not the process's (a
// reused pid) leaves the process alone.
func TestCleanupLeftoverProcesses(t *testing.T) {
	const script = `sleep 300 & echo $!; wait`
	ctx := context.Background()

	t.Run("leftover stopped", func(t *testing.T) {
		runDir := t.TempDir()
		cmd, child, done := leftover(t, runDir, script)
		var rec processRecord
		b, err := os.ReadFile(filepath.Join(runDir, processFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.PID != cmd.Process.Pid || rec.PGID != cmd.Process.Pid || rec.StartTime == 0 || rec.RunDir != runDir || rec.BootID == "" {
			t.Fatalf("record %+v, leader %d", rec, cmd.Process.Pid)
		}
		msg, err := cleanupLeftover(ctx, runDir, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if want := "stopped 2 leftover evaluator process(es) (process group " + strconv.Itoa(rec.PGID) + ") of an earlier, interrupted attempt"; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the leader still runs")
		}
		if alive(child) {
			t.Error("the leader's child still runs")
		}
		if _, err := os.Stat(filepath.Join(runDir, processFile)); !os.IsNotExist(err) {
			t.Errorf("the record is still there: %v", err)
		}
	})

	t.Run("start time differs", func(t *testing.T) {
		runDir := t.TempDir()
		cmd, child, done := leftover(t, runDir, script)
		path := filepath.Join(runDir, processFile)
		var rec processRecord
		b, _ := os.ReadFile(path)
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		rec.StartTime++ // the recorded process started at another time: this pid is another's
		b, _ = json.Marshal(rec)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		msg, err := cleanupLeftover(ctx, runDir, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg, "nothing to stop") {
			t.Errorf("message %q", msg)
		}
		select {
		case err := <-done:
			t.Fatalf("the process was stopped: %v", err)
		default:
		}
		if !alive(cmd.Process.Pid) || !alive(child) {
			t.Error("the processes were stopped")
		}
	})

	t.Run("leader gone, group left", func(t *testing.T) {
		// The leader exits leaving its child in the group: the group's id cannot have been
		// reused while the child lives, so the child is stopped.
		runDir := t.TempDir()
		_, child, done := leftover(t, runDir, `sleep 300 & echo $!; exit 0`)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the leader did not exit")
		}
		if !alive(child) {
			t.Fatal("the child is not running")
		}
		msg, err := cleanupLeftover(ctx, runDir, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(msg, "stopped 1 leftover evaluator process(es)") {
			t.Errorf("message %q", msg)
		}
		if alive(child) {
			t.Error("the child still runs")
		}
	})

	t.Run("no record", func(t *testing.T) {
		if msg, err := cleanupLeftover(ctx, t.TempDir(), time.Second); msg != "" || err != nil {
			t.Errorf("cleanupLeftover = %q, %v", msg, err)
		}
	})
}

// progressLines is a plan.Progress keeping Log lines.
type progressLines struct {
	plan.NopProgress
	mu    sync.Mutex
	lines []string
}

func (p *progressLines) Log(_, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, msg)
}

// Run stops the leftover before anything else, whatever the run's runtime, and says so.
func TestRunStopsLeftoverProcesses(t *testing.T) {
	runDir := t.TempDir()
	_, child, done := leftover(t, runDir, `sleep 300 & echo $!; wait`)
	progress := &progressLines{}
	// A run without a task has no image: it fails, after the leftover is stopped.
	out, err := (&Runner{StopGrace: 5 * time.Second}).Run(context.Background(), &plan.RunSpec{Address: "suite.s.run[\"x\"][\"a\"]", RunDir: runDir}, progress)
	if err != nil || out.Status != state.StatusFailed {
		t.Fatalf("Run = %+v, %v", out, err)
	}
	if len(progress.lines) == 0 || !strings.HasPrefix(progress.lines[0], "stopped 2 leftover evaluator process(es)") {
		t.Errorf("progress: %q", progress.lines)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the leader still runs")
	}
	if alive(child) {
		t.Error("the child still runs")
	}
}
