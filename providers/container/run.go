package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// LabelManaged marks every container this package starts, so that leftovers can be found.
const LabelManaged = "dev.evalplan.managed"

// RunSpec describes one container run.
type RunSpec struct {
	// Image must be present (see Ensure); it is referenced by digest when pinned.
	Image Image
	// Entrypoint replaces the image's entrypoint when set; Cmd are its arguments.
	Entrypoint []string
	Cmd        []string
	// Env are "NAME=value" pairs.
	Env []string
	// Binds are "host-path:container-path[:ro]" mounts.
	Binds []string
	// HostNetwork runs the container in the host's network namespace (to reach loopback
	// endpoints); otherwise it gets the default bridge network.
	HostNetwork bool
	// Labels are added to the container, with LabelManaged.
	Labels map[string]string
	// Logs receives the container's stdout and stderr as they come (may be nil).
	Logs io.Writer
	// Status, when set, receives the container's state right after start, every StatusEvery
	// (default 5 s) with CPU and memory from the stats API, and once when it exits.
	Status      func(Status)
	StatusEvery time.Duration
	// StopGrace is how long the container has to exit after SIGTERM when ctx ends, before
	// it is killed; 0 kills it at once.
	StopGrace time.Duration
}

// Run creates and starts a container, streams its logs, waits for it to exit and removes
// it. It returns the exit code. When ctx ends first the container is stopped (SIGTERM, then
// SIGKILL after spec.StopGrace) and removed and ctx's error returned; the container is removed on every path. A missing entrypoint is
// ErrExecutableNotFound.
func (c *Client) Run(ctx context.Context, spec RunSpec) (int64, error) {
	api, err := c.engine()
	if err != nil {
		return -1, err
	}
	labels := map[string]string{LabelManaged: "true"}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	hc := &container.HostConfig{Binds: spec.Binds}
	if spec.HostNetwork {
		hc.NetworkMode = "host"
	}
	created, err := api.ContainerCreate(ctx, &container.Config{
		Image: spec.Image.String(), Entrypoint: spec.Entrypoint, Cmd: spec.Cmd, Env: spec.Env, Labels: labels,
	}, hc, nil, nil, "")
	if err != nil {
		return -1, fmt.Errorf("create container from %s: %w", spec.Image, c.daemonError(err))
	}
	id := created.ID
	defer c.remove(ctx, id)

	waitCtx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	waitC, waitErr := api.ContainerWait(waitCtx, id, container.WaitConditionNextExit)
	started := time.Now()
	if err := api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		if strings.Contains(err.Error(), "executable file not found") || strings.Contains(err.Error(), "no such file or directory") {
			return -1, fmt.Errorf("start %s: %w: %v", spec.Image, ErrExecutableNotFound, err)
		}
		return -1, fmt.Errorf("start %s: %w", spec.Image, c.daemonError(err))
	}
	logsDone := c.streamLogs(waitCtx, id, spec.Logs)
	statusDone := make(chan struct{})
	stopStatus := make(chan struct{})
	go func() {
		defer close(statusDone)
		c.watch(waitCtx, id, spec, started, stopStatus)
	}()
	code, err := c.wait(ctx, id, spec.StopGrace, waitC, waitErr)
	close(stopStatus)
	<-statusDone
	if err != nil {
		cancelWait()
		<-logsDone
		return -1, err
	}
	<-logsDone // the log stream ends when the container has stopped
	if spec.Status != nil {
		spec.Status(Status{State: "exited", ExitCode: code, Elapsed: time.Since(started)})
	}
	return code, nil
}

// wait returns the container's exit code, or stops it when ctx ends first.
func (c *Client) wait(ctx context.Context, id string, grace time.Duration, waitC <-chan container.WaitResponse, waitErr <-chan error) (int64, error) {
	select {
	case r := <-waitC:
		if r.Error != nil && r.Error.Message != "" {
			return -1, fmt.Errorf("wait for container %.12s: %s", id, r.Error.Message)
		}
		return r.StatusCode, nil
	case err := <-waitErr:
		if ctx.Err() != nil {
			c.stop(ctx, id, grace)
			return -1, ctx.Err()
		}
		return -1, fmt.Errorf("wait for container %.12s: %w", id, c.daemonError(err))
	case <-ctx.Done():
		c.stop(ctx, id, grace)
		return -1, ctx.Err()
	}
}

// cleanupTimeout bounds kill and remove calls made after ctx has ended.
const cleanupTimeout = 30 * time.Second

// stop sends the container SIGTERM and, when it has not exited after grace, SIGKILL (the
// daemon's stop); with no grace it kills it at once.
func (c *Client) stop(ctx context.Context, id string, grace time.Duration) {
	api, err := c.engine()
	if err != nil {
		return
	}
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace+cleanupTimeout)
	defer cancel()
	if grace <= 0 {
		_ = api.ContainerKill(kctx, id, "KILL") // remove(force) follows and reports nothing either
		return
	}
	secs := int((grace + time.Second - 1) / time.Second)
	signal := "SIGTERM"
	if err := api.ContainerStop(kctx, id, container.StopOptions{Signal: signal, Timeout: &secs}); err != nil {
		_ = api.ContainerKill(kctx, id, "KILL")
	}
}

// remove deletes the container (and its anonymous volumes), even after ctx has ended.
func (c *Client) remove(ctx context.Context, id string) {
	api, err := c.engine()
	if err != nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = api.ContainerRemove(rctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
}

// streamLogs copies the container's output to w until the container stops or ctx ends.
func (c *Client) streamLogs(ctx context.Context, id string, w io.Writer) <-chan struct{} {
	done := make(chan struct{})
	if w == nil {
		w = io.Discard
	}
	api, err := c.engine()
	if err != nil {
		close(done)
		return done
	}
	rc, err := api.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		fmt.Fprintf(w, "evalplan: cannot stream the container's logs: %v\n", err)
		close(done)
		return done
	}
	go func() {
		defer close(done)
		defer rc.Close()
		if _, err := stdcopy.StdCopy(w, w, rc); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			fmt.Fprintf(w, "evalplan: log stream ended: %v\n", err)
		}
	}()
	return done
}

// Leftovers lists the containers this package started that still exist (for tests and
// diagnostics); labels narrow the search.
func (c *Client) Leftovers(ctx context.Context, labels map[string]string) ([]string, error) {
	api, err := c.engine()
	if err != nil {
		return nil, err
	}
	opts := container.ListOptions{All: true}
	opts.Filters = labelFilter(labels)
	list, err := api.ContainerList(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", c.daemonError(err))
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out, nil
}
