//go:build unix

package vllm

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/evalplan/evalplan/plan/config"
)

// startProcess starts the process runtime's server in its own session (setsid), so that its
// process group holds the whole tree, with its output appended to logPath.
func (p *Provider) startProcess(ep *config.Endpoint, port int, logPath string) (*server, error) {
	if kindOf(ep.Server).program() == nil && len(ep.Server.Command) == 0 {
		return nil, fmt.Errorf("a %s server runs only in a container; remove runtime = \"process\"", kindOf(ep.Server).label())
	}
	args := onHost(command(ep, port), p.host())
	logf, err := openLog(logPath, "starting "+strings.Join(args, " "))
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = p.WorkDir
	env := p.environ()
	if g := p.GPUs[ep.Server.GPU]; g != nil && g.Devices != nil {
		ids := make([]string, len(g.Devices))
		for i, d := range g.Devices {
			ids[i] = strconv.Itoa(d)
		}
		env = append(env, "CUDA_VISIBLE_DEVICES="+strings.Join(ids, ","))
	}
	cmd.Env = p.serverEnv(ep, port, env)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		if k := kindOf(ep.Server); errors.Is(err, exec.ErrNotFound) && len(ep.Server.Command) == 0 {
			return nil, fmt.Errorf("start %s: %w; %s, or use runtime = \"docker\"", args[0], err, k.install())
		}
		return nil, fmt.Errorf("start %s: %w", args[0], err)
	}
	s := &server{Runtime: "process", URL: fmt.Sprintf("http://127.0.0.1:%d/v1", port), PID: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// stopProcess sends SIGTERM to the server's process group, SIGKILL after StopTimeout, and
// waits until the leader is gone; what is left of the group is then killed.
func (p *Provider) stopProcess(ctx context.Context, s *server) error {
	if s.PID <= 0 {
		return nil
	}
	if err := syscall.Kill(-s.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process group %d: %w", s.PID, err)
	}
	if !p.waitGone(ctx, s, p.stopTimeout()) {
		p.log().Warn("server ignored SIGTERM; killing it", "pid", s.PID, "grace", p.stopTimeout())
		_ = syscall.Kill(-s.PID, syscall.SIGKILL)
		if !p.waitGone(ctx, s, p.stopTimeout()) {
			return fmt.Errorf("process %d survived SIGKILL", s.PID)
		}
	}
	_ = syscall.Kill(-s.PID, syscall.SIGKILL) // leftovers of the tree; ESRCH when none
	return nil
}

// waitGone waits up to d for the server's leader process to end.
func (p *Provider) waitGone(ctx context.Context, s *server, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	if s.exited != nil {
		select {
		case <-s.exited:
			return true
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for processAlive(s.PID) {
		select {
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// processAlive reports whether pid exists (signal 0).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
