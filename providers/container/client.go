package container

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/client"
)

// Options configure a Client.
type Options struct {
	// Host is the Docker daemon address (unix:///var/run/docker.sock, tcp://host:2375); empty
	// means DOCKER_HOST from Environ, else the default socket.
	Host string
	// Environ is the environment in os.Environ form (DOCKER_HOST, NGC_API_KEY, DOCKER_CONFIG,
	// HOME); nil means the process environment.
	Environ []string
}

// Client talks to one Docker daemon. It connects lazily, so creating one never fails even
// when Docker is absent; the first call that needs the daemon reports that clearly. A Client
// is safe for concurrent use.
type Client struct {
	opts Options

	mu    sync.Mutex
	api   *client.Client
	pulls map[string]*flight // pinned image → pull in progress
}

// New returns a Client; it does not contact the daemon.
func New(opts Options) *Client {
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	return &Client{opts: opts, pulls: map[string]*flight{}}
}

// Close releases the connection to the daemon.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.api == nil {
		return nil
	}
	err := c.api.Close()
	c.api = nil
	return err
}

func (c *Client) env(name string) string {
	for _, kv := range c.opts.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Host is the daemon address the Client uses.
func (c *Client) Host() string {
	if c.opts.Host != "" {
		return c.opts.Host
	}
	if h := c.env("DOCKER_HOST"); h != "" {
		return h
	}
	return client.DefaultDockerHost
}

// engine returns the API client, creating it on first use.
func (c *Client) engine() (*client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.api != nil {
		return c.api, nil
	}
	api, err := client.NewClientWithOpts(client.WithHost(c.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: DOCKER_HOST %q: %v", ErrDaemonUnavailable, c.Host(), err)
	}
	// The Docker client negotiates its API version lazily, on its first request, without a
	// lock: concurrent first requests race. Negotiate here, once, before the client is
	// shared; when the daemon does not answer, hand out an unshared client (its request
	// reports the error) and try again next time.
	ctx, cancel := context.WithTimeout(context.Background(), negotiateTimeout)
	defer cancel()
	ping, err := api.Ping(ctx)
	if err != nil {
		return api, nil
	}
	api.NegotiateAPIVersionPing(ping)
	c.api = api
	return api, nil
}

// negotiateTimeout bounds the ping that negotiates the API version with the daemon.
const negotiateTimeout = 10 * time.Second

// Ping checks that the daemon answers, with an error that says what to do when it does not.
func (c *Client) Ping(ctx context.Context) error {
	api, err := c.engine()
	if err != nil {
		return err
	}
	if _, err := api.Ping(ctx); err != nil {
		return c.daemonError(err)
	}
	return nil
}

// daemonError turns a connection failure into ErrDaemonUnavailable with advice; other
// errors pass through.
func (c *Client) daemonError(err error) error {
	if err == nil || !client.IsErrConnectionFailed(err) && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	host := c.Host()
	if u, perr := url.Parse(host); perr == nil && u.Scheme == "unix" {
		if _, serr := os.Stat(u.Path); serr != nil {
			if _, lerr := exec.LookPath("dockerd"); lerr != nil {
				return fmt.Errorf("%w: Docker is not installed (no daemon socket at %s, no dockerd on PATH): install it (Debian: apt-get install docker.io) and start dockerd, or set DOCKER_HOST to a running daemon", ErrDaemonUnavailable, u.Path)
			}
			return fmt.Errorf("%w: the Docker daemon is not running (no socket at %s): start it (systemctl start docker, or run dockerd as root), or set DOCKER_HOST to a running daemon", ErrDaemonUnavailable, u.Path)
		}
	}
	return fmt.Errorf("%w: cannot reach the Docker daemon at %s (%v): start it (systemctl start docker, or run dockerd as root), check that you may use its socket, or set DOCKER_HOST", ErrDaemonUnavailable, host, err)
}
