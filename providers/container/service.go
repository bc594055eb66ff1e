package container

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
)

// ServiceSpec describes a long-running container (a model server) started detached.
type ServiceSpec struct {
	RunSpec
	// GPUs are the device indexes to request from the NVIDIA runtime ("--gpus device=0,1");
	// AllGPUs requests every GPU ("--gpus all"). Neither requests none.
	GPUs    []int
	AllGPUs bool
	// ShmSize is the size of /dev/shm in bytes (0: the daemon's default, 64 MiB).
	ShmSize int64
}

// ServiceState is a service container's state.
type ServiceState struct {
	Running  bool
	ExitCode int
	// Exists is false when the container is gone (removed).
	Exists bool
}

// StartService creates and starts a container and returns at once with its id; the container
// keeps running until StopService. Its logs are copied to spec.Logs (may be nil) until it
// stops; the returned channel is closed when that copy ends. On an error nothing is left
// behind.
func (c *Client) StartService(ctx context.Context, spec ServiceSpec) (string, <-chan struct{}, error) {
	api, err := c.engine()
	if err != nil {
		return "", nil, err
	}
	labels := map[string]string{LabelManaged: "true"}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	hc := &container.HostConfig{Binds: spec.Binds, ShmSize: spec.ShmSize}
	if spec.HostNetwork {
		hc.NetworkMode = "host"
	}
	if dr := deviceRequests(spec.GPUs, spec.AllGPUs); dr != nil {
		hc.DeviceRequests = dr
	}
	created, err := api.ContainerCreate(ctx, &container.Config{
		Image: spec.Image.String(), Entrypoint: spec.Entrypoint, Cmd: spec.Cmd, Env: spec.Env, Labels: labels,
	}, hc, nil, nil, "")
	if err != nil {
		return "", nil, fmt.Errorf("create container from %s: %w", spec.Image, c.daemonError(err))
	}
	if err := api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		c.remove(ctx, created.ID)
		return "", nil, fmt.Errorf("start %s: %w", spec.Image, c.daemonError(err))
	}
	return created.ID, c.streamLogs(context.WithoutCancel(ctx), created.ID, spec.Logs), nil
}

// deviceRequests is the NVIDIA device request for gpus (nil when none).
func deviceRequests(gpus []int, all bool) []container.DeviceRequest {
	switch {
	case all:
		return []container.DeviceRequest{{Driver: "nvidia", Count: -1, Capabilities: [][]string{{"gpu"}}}}
	case len(gpus) > 0:
		ids := make([]string, len(gpus))
		for i, g := range gpus {
			ids[i] = fmt.Sprint(g)
		}
		return []container.DeviceRequest{{Driver: "nvidia", DeviceIDs: ids, Capabilities: [][]string{{"gpu"}}}}
	}
	return nil
}

// InspectService reports a service container's state.
func (c *Client) InspectService(ctx context.Context, id string) (ServiceState, error) {
	api, err := c.engine()
	if err != nil {
		return ServiceState{}, err
	}
	info, err := api.ContainerInspect(ctx, id)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return ServiceState{}, nil
		}
		return ServiceState{}, fmt.Errorf("inspect container %.12s: %w", id, c.daemonError(err))
	}
	st := ServiceState{Exists: true}
	if info.State != nil {
		st.Running = info.State.Running
		st.ExitCode = info.State.ExitCode
	}
	return st, nil
}

// StopService stops a service container gracefully (SIGTERM, then SIGKILL after grace) and
// removes it. A container that is already gone is not an error.
func (c *Client) StopService(ctx context.Context, id string, grace time.Duration) error {
	api, err := c.engine()
	if err != nil {
		return err
	}
	secs := int(grace.Round(time.Second) / time.Second)
	if err := api.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil && !cerrdefs.IsNotFound(err) {
		c.remove(ctx, id)
		return fmt.Errorf("stop container %.12s: %w", id, c.daemonError(err))
	}
	if err := api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %.12s: %w", id, c.daemonError(err))
	}
	return nil
}
