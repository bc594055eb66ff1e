package slurm

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/evalplan/evalplan/plan/config"
)

// maxSessions bounds the commands one SSH connection runs at once: OpenSSH's sshd allows
// 10 sessions per connection (MaxSessions), and the executor's pacing keeps the need low.
const maxSessions = 4

// dialTimeout bounds connecting and the SSH handshake when ctx has no earlier deadline.
const dialTimeout = 30 * time.Second

// SSHRunner runs the Slurm commands on a login node over one SSH connection, opened on
// the first command and opened again when it breaks. The host key is checked against a
// known_hosts file; the private key is read from identity_file (or the ssh-agent) and is
// never written anywhere.
type SSHRunner struct {
	// Config is the executor's ssh block.
	Config *config.SSH
	// Home is the directory "~/" stands for, and whose .ssh/known_hosts is the default;
	// "" is the current user's home.
	Home string
	// AgentSocket is the ssh-agent's socket (SSH_AUTH_SOCK), used when identity_file is
	// not set.
	AgentSocket string

	mu     sync.Mutex
	client *ssh.Client
	sem    chan struct{}
	once   sync.Once
}

// NewSSHRunner returns the runner of an ssh block, with the home directory and agent
// socket of this process's environment.
func NewSSHRunner(c *config.SSH) *SSHRunner {
	home, _ := os.UserHomeDir()
	return &SSHRunner{Config: c, Home: home, AgentSocket: os.Getenv("SSH_AUTH_SOCK")}
}

// addr is host:port.
func (r *SSHRunner) addr() string { return net.JoinHostPort(r.Config.Host, strconv.Itoa(r.port())) }

// port is the ssh block's port, 22 by default.
func (r *SSHRunner) port() int {
	if r.Config.Port == 0 {
		return 22
	}
	return r.Config.Port
}

// where names the ssh block for error messages: "ssh eval.hcl:12 (login1:22)".
func (r *SSHRunner) where() string {
	w := "ssh " + r.addr()
	if f := r.Config.DeclRange.Filename; f != "" {
		w += fmt.Sprintf(" (the ssh block at %s:%d)", f, r.Config.DeclRange.Start.Line)
	}
	return w
}

// Run implements Runner: the command, quoted for the login shell, runs in a new session
// of the shared connection. Only a session that could not be opened is tried again (on a
// new connection): a command that started is never repeated, since sbatch run twice
// would submit twice. Ending ctx closes the session.
func (r *SSHRunner) Run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	r.once.Do(func() { r.sem = make(chan struct{}, maxSessions) })
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	cmd := shellJoin(append([]string{name}, args...))
	var sess *ssh.Session
	for attempt := 0; ; attempt++ {
		c, err := r.connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		if sess, err = c.NewSession(); err == nil {
			break
		}
		r.drop(c)
		if attempt > 0 || ctx.Err() != nil {
			return nil, nil, fmt.Errorf("%s: open a session: %w", r.where(), err)
		}
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	done := make(chan error, 1) // buffered: the goroutine ends even when ctx ended first
	go func() { done <- sess.Run(cmd) }()
	select {
	case err := <-done:
		var exit *ssh.ExitError
		if err != nil && !errors.As(err, &exit) {
			// The connection broke mid-command: the next command opens a new one.
			r.dropCurrent()
			err = fmt.Errorf("%s: %s: %w", r.where(), name, err)
		}
		return stdout.Bytes(), stderr.Bytes(), err
	case <-ctx.Done():
		// Ask the login node to stop the command and close the session without waiting
		// for it: sshd may let the command finish first. Its output is dropped.
		_ = sess.Signal(ssh.SIGTERM)
		return nil, nil, ctx.Err()
	}
}

// Close implements Runner: it closes the connection.
func (r *SSHRunner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		return nil
	}
	err := r.client.Close()
	r.client = nil
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%s: close: %w", r.where(), err)
	}
	return nil
}

// connect returns the shared connection, opening it when there is none.
func (r *SSHRunner) connect(ctx context.Context) (*ssh.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		return r.client, nil
	}
	c, err := r.dial(ctx)
	if err != nil {
		return nil, err
	}
	r.client = c
	return c, nil
}

// drop closes c and forgets it when it is still the shared connection.
func (r *SSHRunner) drop(c *ssh.Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == c {
		r.client = nil
	}
	c.Close()
}

func (r *SSHRunner) dropCurrent() {
	r.mu.Lock()
	c := r.client
	r.mu.Unlock()
	if c != nil {
		r.drop(c)
	}
}

// dial opens a connection: TCP, then the handshake, both bounded by ctx and dialTimeout.
func (r *SSHRunner) dial(ctx context.Context) (*ssh.Client, error) {
	cfg, closeAgent, err := r.clientConfig()
	if err != nil {
		return nil, err
	}
	// The agent is needed only for the handshake.
	defer closeAgent()
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	addr := r.addr()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: connect: %w", r.where(), err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	cc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() {
		if err == nil {
			cc.Close()
		}
		return nil, fmt.Errorf("%s: handshake: %w", r.where(), ctx.Err())
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: %w", r.where(), err)
	}
	return ssh.NewClient(cc, chans, reqs), nil
}

// clientConfig is the user, the key and the host key check; closeAgent closes the
// connection to the ssh-agent, if one was opened, once the handshake is done.
func (r *SSHRunner) clientConfig() (cfg *ssh.ClientConfig, closeAgent func(), err error) {
	c := r.Config
	name := c.User
	if name == "" {
		u, err := user.Current()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: no user given and the current user is unknown (%w): set user in the ssh block", r.where(), err)
		}
		name = u.Username
	}
	auth, closeAgent, err := r.auth()
	if err != nil {
		return nil, nil, err
	}
	khFile := r.expand(c.KnownHosts)
	if khFile == "" {
		khFile = filepath.Join(r.Home, ".ssh", "known_hosts")
	}
	check, algos, err := r.hostKeyCheck(khFile)
	if err != nil {
		closeAgent()
		return nil, nil, err
	}
	return &ssh.ClientConfig{User: name, Auth: auth, HostKeyCallback: check, HostKeyAlgorithms: algos, Timeout: dialTimeout}, closeAgent, nil
}

// auth reads identity_file, or asks the ssh-agent when there is none; closeAgent closes
// the agent connection (a no-op for a key file).
func (r *SSHRunner) auth() (methods []ssh.AuthMethod, closeAgent func(), err error) {
	if f := r.Config.IdentityFile; f != "" {
		path := r.expand(f)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: identity_file: %w", r.where(), err)
		}
		signer, err := ssh.ParsePrivateKey(b)
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil, nil, fmt.Errorf("%s: identity_file %s is protected by a passphrase, which evalplan does not ask for: add the key to your ssh-agent (ssh-add %s) and remove identity_file from the ssh block", r.where(), path, path)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: identity_file %s is not a private key evalplan can read: %w", r.where(), path, err)
		}
		return []ssh.AuthMethod{ssh.PublicKeys(signer)}, func() {}, nil
	}
	if r.AgentSocket == "" {
		return nil, nil, fmt.Errorf("%s: no identity_file and no ssh-agent (SSH_AUTH_SOCK is not set): set identity_file in the ssh block, or start ssh-agent and add your key", r.where())
	}
	conn, err := net.Dial("unix", r.AgentSocket)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: ssh-agent at SSH_AUTH_SOCK: %w", r.where(), err)
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(agent.NewClient(conn).Signers)}, func() { conn.Close() }, nil
}

// hostKeyCheck checks the login node's host key against file, and returns the host key
// algorithms of the keys file knows for the host, so that the server offers one of those.
func (r *SSHRunner) hostKeyCheck(file string) (ssh.HostKeyCallback, []string, error) {
	addr := r.addr()
	scan := fmt.Sprintf("ssh-keyscan -p %d %s >> %s", r.port(), r.Config.Host, file)
	kh, err := knownhosts.New(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: the known_hosts file %s does not exist, so the login node's host key cannot be checked: connect once with ssh, or run `%s` and check the fingerprint it adds", r.where(), file, scan)
		}
		return nil, nil, fmt.Errorf("%s: known_hosts %s: %w", r.where(), file, err)
	}
	check := func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := kh(host, remote, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err
		}
		if len(ke.Want) == 0 {
			return fmt.Errorf("the host key of %s (%s %s) is not in %s: if this is the login node's key, add it with `%s` (or connect once with ssh and accept it), then apply again", addr, key.Type(), ssh.FingerprintSHA256(key), file, scan)
		}
		w := ke.Want[0]
		return fmt.Errorf("the host key of %s (%s %s) does not match the one in %s line %d: the login node's key changed, or this is not the login node; if the change is expected, remove that line (ssh-keygen -R %s -f %s) and add the new key", addr, key.Type(), ssh.FingerprintSHA256(key), w.Filename, w.Line, knownhosts.Normalize(addr), file)
	}
	// Ask the check about a key it cannot know: its answer lists the keys it knows.
	probe, _ := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	var algos []string
	var ke *knownhosts.KeyError
	if err := kh(addr, &net.TCPAddr{}, probe); errors.As(err, &ke) {
		for _, k := range ke.Want {
			switch t := k.Key.Type(); t {
			case ssh.KeyAlgoRSA:
				algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
			default:
				algos = append(algos, t)
			}
		}
	}
	return check, algos, nil
}

// expand replaces a leading "~/" with Home.
func (r *SSHRunner) expand(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return filepath.Join(r.Home, rest)
	}
	return p
}
