package slurm

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/evalplan/evalplan/plan/config"
)

// awkward are arguments a shell would split, expand or run if they were not quoted.
var awkward = []string{
	"plain", "", "two words", "it's", `"double"`, `$HOME`, "`id`", "$(id)", "a;b", "a&&b", "x|y",
	"*", "~", `back\slash`, "new\nline", "tab\there", "ünïcödé", "--wrap=exec 'evalplan' __run-job '/s p/spec.json'",
	"'", "''", `\'`, "#not a comment", "=", "-",
}

// printed is what printf "<%s>" prints for args.
func printed(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString("<" + a + ">")
	}
	return b.String()
}

func TestShellJoin(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"none", nil},
		{"safe", []string{"squeue", "--me", "-h", "-o", "%i|%T"}},
		{"awkward", awkward},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := shellJoin(append([]string{"printf", "<%s>"}, tc.args...))
			out, err := exec.Command("sh", "-c", line).Output()
			if err != nil {
				t.Fatalf("sh -c %q: %v", line, err)
			}
			want := printed(tc.args)
			if tc.args == nil {
				want = "<>" // printf with no argument prints the format once
			}
			if d := cmp.Diff(want, string(out)); d != "" {
				t.Errorf("arguments the shell passed (-want +got):\n%s", d)
			}
		})
	}
	if got := shellJoin([]string{"squeue", "--me", "-o", "%i|%T"}); got != "squeue --me -o '%i|%T'" {
		t.Errorf("safe words are left bare, others quoted: got %s", got)
	}
}

// sshTest is the ssh block of the test sshd that .ci/services.d/85-sshd.sh starts. Without
// it the test is skipped, or fails when CI=true.
func sshTest(t *testing.T) *config.SSH {
	t.Helper()
	get := func(k string) string { return os.Getenv("EVALPLAN_TEST_SSH_" + k) }
	if get("HOST") == "" || get("PORT") == "" || get("KEY") == "" || get("KNOWN_HOSTS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_SSH_HOST, _PORT, _USER, _KEY and _KNOWN_HOSTS are not set: run .ci/services.sh (.ci/services.d/85-sshd.sh starts the sshd)")
		}
		t.Skip("no test sshd: run .ci/services.sh (it exports EVALPLAN_TEST_SSH_*)")
	}
	port, err := strconv.Atoi(get("PORT"))
	if err != nil {
		t.Fatalf("EVALPLAN_TEST_SSH_PORT: %v", err)
	}
	return &config.SSH{Host: get("HOST"), Port: port, User: get("USER"), IdentityFile: get("KEY"), KnownHosts: get("KNOWN_HOSTS")}
}

// TestSSHRunner runs commands on the test sshd: arguments arrive exactly as given, a
// failing command returns its exit status and standard error, a broken connection is
// opened again, and an ended context ends the command.
func TestSSHRunner(t *testing.T) {
	r := &SSHRunner{Config: sshTest(t)}
	defer r.Close()
	ctx := context.Background()

	out, _, err := r.Run(ctx, "printf", append([]string{"<%s>"}, awkward...)...)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(printed(awkward), string(out)); d != "" {
		t.Errorf("arguments the login node received (-want +got):\n%s", d)
	}

	_, errOut, err := r.Run(ctx, "sh", "-c", "echo on-stderr >&2; exit 3")
	var exit *ssh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 3 || strings.TrimSpace(string(errOut)) != "on-stderr" {
		t.Errorf("a failing command: err %v, stderr %q; want exit status 3 and on-stderr", err, errOut)
	}

	// The connection is shared; when it breaks, the next command opens a new one.
	first := r.client
	first.Close()
	if out, _, err := r.Run(ctx, "echo", "again"); err != nil || string(out) != "again\n" {
		t.Fatalf("after the connection broke: %q, %v", out, err)
	}
	if r.client == first {
		t.Error("the broken connection was not replaced")
	}

	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, err := r.Run(cctx, "sleep", "60"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a command whose context ended: err %v, want context.DeadlineExceeded", err)
	}
}

// TestSSHHostKey: a login node whose key known_hosts lacks, or holds another key for, is
// refused with an error naming the file and what to do; a missing file likewise.
func TestSSHHostKey(t *testing.T) {
	c := sshTest(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "known_hosts_other")
	line := "[" + c.Host + "]:" + strconv.Itoa(c.Port) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVhP2rjN9ZN4vQbxJz7m5Q7cH3Rq4pEwGz5a7f3Ls6y\n"
	if err := os.WriteFile(other, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"unknown", empty, []string{"is not in " + empty, "ssh-keyscan -p " + strconv.Itoa(c.Port) + " " + c.Host + " >> " + empty, "SHA256:"}},
		{"changed", other, []string{"does not match the one in " + other + " line 1", "ssh-keygen -R"}},
		{"no file", filepath.Join(dir, "absent"), []string{"known_hosts file " + filepath.Join(dir, "absent") + " does not exist"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			cc.KnownHosts = tc.file
			r := &SSHRunner{Config: &cc}
			defer r.Close()
			_, _, err := r.Run(context.Background(), "true")
			if err == nil {
				t.Fatal("the command ran on a host whose key is not known")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestSSHAgent: without identity_file the key comes from the ssh-agent, whose connection
// is closed once the handshake is done (one per connection, none left open).
func TestSSHAgent(t *testing.T) {
	c := sshTest(t)
	b, err := os.ReadFile(c.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan struct{}, 4)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = agent.ServeAgent(keyring, conn) // returns when the client closes
				conn.Close()
				served <- struct{}{}
			}()
		}
	}()
	c.IdentityFile = ""
	r := &SSHRunner{Config: c, AgentSocket: sock}
	defer r.Close()
	if out, _, err := r.Run(context.Background(), "echo", "agent"); err != nil || string(out) != "agent\n" {
		t.Fatalf("through the agent: %q, %v", out, err)
	}
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent connection is still open after the handshake")
	}
}
