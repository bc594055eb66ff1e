package container

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Found is a container this package started, found by its labels.
type Found struct {
	ID     string
	Labels map[string]string
	// State is the daemon's state: "running", "exited", "created", ...
	State   string
	Created time.Time
}

// Find lists the containers this package started (running or not) whose labels include all
// of labels; an empty labels finds them all.
func (c *Client) Find(ctx context.Context, labels map[string]string) ([]Found, error) {
	api, err := c.engine()
	if err != nil {
		return nil, err
	}
	list, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: labelFilter(labels)})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", c.daemonError(err))
	}
	out := make([]Found, 0, len(list))
	for _, s := range list {
		out = append(out, Found{ID: s.ID, Labels: s.Labels, State: s.State, Created: time.Unix(s.Created, 0)})
	}
	return out, nil
}

// CPUSample is the CPU counters of one Stats call, kept by the caller to compute the CPU
// percent of the next one. The zero value means no earlier sample.
type CPUSample struct {
	s  cpuSample
	ok bool
}

// Stats takes one stats sample of a running container: CPU percent relative to prev (unknown,
// -1, when prev is the zero value), memory without the page cache, and elapsed time since
// since. It returns the sample to pass as prev next time.
func (c *Client) Stats(ctx context.Context, id string, since time.Time, prev CPUSample) (Status, CPUSample, error) {
	var p *cpuSample
	if prev.ok {
		p = &prev.s
	}
	st, cur, err := c.stats(ctx, id, p)
	if err != nil {
		return Status{}, prev, fmt.Errorf("container stats %.12s: %w", id, c.daemonError(err))
	}
	st.Elapsed = time.Since(since)
	return st, CPUSample{s: cur, ok: true}, nil
}

// RemoveFound kills and removes the containers this package started whose labels include
// all of labels — a container left running by a process that was killed before it could
// remove it — and returns their IDs. labels must not be empty: it never removes every
// container evalplan started.
func (c *Client) RemoveFound(ctx context.Context, labels map[string]string) ([]string, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("remove containers: no labels select them")
	}
	found, err := c.Find(ctx, labels)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(found))
	for _, f := range found {
		c.stop(ctx, f.ID, 0)
		c.remove(ctx, f.ID)
		ids = append(ids, f.ID)
	}
	return ids, nil
}
