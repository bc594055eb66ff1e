package slurm

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
)

// Runner runs the Slurm commands (sbatch, squeue, scontrol, scancel): on this machine
// (Local) or on a login node over SSH (SSHRunner). It is the one place where the executor
// starts a command.
type Runner interface {
	// Run runs the command name with args and returns its standard output and standard
	// error. A command that exits non-zero returns its output and an error.
	Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)
	// Close releases what the runner holds open (an SSH connection).
	Close() error
}

// Local runs the Slurm commands on this machine, found on PATH.
type Local struct{}

// Run implements Runner.
func (Local) Run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// Close implements Runner.
func (Local) Close() error { return nil }

// combined is a command's output for an error message: standard output then standard
// error, trimmed.
func combined(stdout, stderr []byte) string {
	return strings.TrimSpace(strings.TrimSpace(string(stdout)) + "\n" + strings.TrimSpace(string(stderr)))
}

// withOutput is ": OUTPUT" for an error message, or "" when the command printed nothing.
func withOutput(stdout, stderr []byte) string {
	if s := combined(stdout, stderr); s != "" {
		return ": " + s
	}
	return ""
}

// shellJoin quotes argv for a POSIX shell (the login shell an SSH command runs in), so
// that the shell hands the program exactly these arguments: words made only of safe
// characters stay bare, every other one is single-quoted.
func shellJoin(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellWord(a))
	}
	return b.String()
}

// shellWord is a as one word for a POSIX shell.
func shellWord(a string) string {
	if a == "" {
		return "''"
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
			return shellQuote(a)
		}
	}
	return a
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
