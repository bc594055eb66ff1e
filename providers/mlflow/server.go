package mlflow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files of a managed server under its directory (<cache_dir>/mlflow).
const (
	serverPIDFile  = "server.pid"
	serverPortFile = "server.port"
	serverLogFile  = "server.log"
	serverDBFile   = "mlflow.db"
	serverArtifDir = "artifacts"
)

// DefaultStartTimeout is how long Start waits for /health: a fresh SQLite store runs every
// migration first, and MLflow's own tests allow 30 s.
const DefaultStartTimeout = 120 * time.Second

// Server is a local MLflow tracking server that evalplan starts detached (its own session,
// a pidfile, a log file) and leaves running for the UI until Stop.
type Server struct {
	// Binary is the mlflow program; "" means FindBinary(os.Getenv).
	Binary string
	// Dir holds the store (mlflow.db), the artifacts, server.pid, server.port and server.log.
	Dir string
	// Port is the port on 127.0.0.1.
	Port int
	// StartTimeout bounds the wait for /health; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
}

// URI is the server's tracking URI.
func (s *Server) URI() string { return "http://127.0.0.1:" + strconv.Itoa(s.Port) }

// LogPath is the server's log file.
func (s *Server) LogPath() string { return filepath.Join(s.Dir, serverLogFile) }

// FindBinary finds the mlflow program: EVALPLAN_MLFLOW, then mlflow on PATH.
func FindBinary(getenv func(string) string) (string, error) {
	if p := getenv("EVALPLAN_MLFLOW"); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("EVALPLAN_MLFLOW=%s: not an executable file", p)
		}
		return p, nil
	}
	p, err := exec.LookPath("mlflow")
	if err != nil {
		return "", errors.New("the mlflow program was not found on PATH: install it (python3 -m venv ~/.mlflow-venv && ~/.mlflow-venv/bin/pip install mlflow) and put it on PATH, or set EVALPLAN_MLFLOW to its path")
	}
	return p, nil
}

// Healthy reports whether a tracking server answers /health at the server's URI.
func (s *Server) Healthy(ctx context.Context) bool {
	c, err := NewClient(s.URI(), Auth{}, nil)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.Health(ctx) == nil
}

// Start starts the server unless one already answers at its URI (started is then false).
// It runs `mlflow server --host 127.0.0.1 --port P --backend-store-uri sqlite:///DIR/mlflow.db
// --serve-artifacts --artifacts-destination DIR/artifacts --workers 1` in a session of its
// own, so it outlives evalplan, and waits for /health.
func (s *Server) Start(ctx context.Context) (started bool, err error) {
	if s.Healthy(ctx) {
		return false, nil
	}
	bin := s.Binary
	if bin == "" {
		if bin, err = FindBinary(os.Getenv); err != nil {
			return false, err
		}
	}
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return false, fmt.Errorf("MLflow server directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, serverArtifDir), 0o755); err != nil {
		return false, fmt.Errorf("MLflow server directory: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, serverLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return false, fmt.Errorf("MLflow server log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "server", "--host", "127.0.0.1", "--port", strconv.Itoa(s.Port),
		"--backend-store-uri", "sqlite:///"+filepath.Join(dir, serverDBFile),
		"--serve-artifacts", "--artifacts-destination", filepath.Join(dir, serverArtifDir),
		"--workers", "1")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("start %s server: %w", bin, err)
	}
	pid := cmd.Process.Pid
	if err := writeFile(filepath.Join(dir, serverPIDFile), strconv.Itoa(pid)+"\n"); err != nil {
		return false, err
	}
	if err := writeFile(filepath.Join(dir, serverPortFile), strconv.Itoa(s.Port)+"\n"); err != nil {
		return false, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := s.waitHealthy(ctx, exited); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Server) waitHealthy(ctx context.Context, exited <-chan error) error {
	timeout := s.StartTimeout
	if timeout == 0 {
		timeout = DefaultStartTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("the MLflow server exited during start-up (%v); the end of %s:\n%s", err, s.LogPath(), tail(s.LogPath(), 20))
		case <-deadline.C:
			return fmt.Errorf("the MLflow server did not answer %s/health within %s; see %s", s.URI(), timeout, s.LogPath())
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if s.Healthy(ctx) {
				return nil
			}
		}
	}
}

// PID returns the process id recorded in the pidfile when that process is alive and is an
// mlflow process.
func (s *Server) PID() (int, bool) {
	b, err := os.ReadFile(filepath.Join(s.Dir, serverPIDFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && !bytes.Contains(cmdline, []byte("mlflow")) {
		return 0, false // the pid was reused by another program
	}
	return pid, true
}

// RecordedPort returns the port of the server last started in Dir, 0 when none is recorded.
func RecordedPort(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, serverPortFile))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// Stop stops the server started in Dir: SIGTERM to its process group, then SIGKILL after
// 15 s. stopped is false when no such server was running.
func (s *Server) Stop(ctx context.Context) (stopped bool, err error) {
	pid, ok := s.PID()
	pidfile := filepath.Join(s.Dir, serverPIDFile)
	if !ok {
		if err := os.Remove(pidfile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("remove %s: %w", pidfile, err)
		}
		return false, nil
	}
	signalGroup(pid, syscall.SIGTERM)
	if !waitGone(ctx, pid, 15*time.Second) {
		signalGroup(pid, syscall.SIGKILL)
		if !waitGone(ctx, pid, 5*time.Second) {
			return false, fmt.Errorf("the MLflow server (pid %d) did not stop", pid)
		}
	}
	if err := os.Remove(pidfile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return true, fmt.Errorf("remove %s: %w", pidfile, err)
	}
	return true, nil
}

// signalGroup signals the server's process group (it leads its own session), and the
// process itself in case it is not a group leader.
func signalGroup(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
	_ = syscall.Kill(pid, sig)
}

func waitGone(ctx context.Context, pid int, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if syscall.Kill(pid, 0) != nil || isZombie(pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

// isZombie reports whether pid has exited but is not yet reaped (Linux /proc).
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
