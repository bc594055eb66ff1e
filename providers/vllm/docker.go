package vllm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/gpu"
)

// LabelEndpoint names the endpoint on a server container.
const LabelEndpoint = "dev.evalplan.endpoint"

// containerHFCache is where the Hugging Face cache is mounted in a server container (the
// default HF_HOME of vLLM's images, which run as root).
const containerHFCache = "/root/.cache/huggingface"

// startDocker starts the docker runtime's server: the pinned image with the host network (the
// server binds 127.0.0.1:port), the selected GPUs, ShmSize of /dev/shm and the Hugging Face
// cache mounted. The block's command, when set, replaces the image's entrypoint and command;
// otherwise the image's entrypoint (vLLM's server) gets ServeArgs.
func (p *Provider) startDocker(ctx context.Context, ep *config.Endpoint, port int, logPath string) (*server, error) {
	img, err := p.pinned(ctx, ep)
	if err != nil {
		return nil, err
	}
	c := p.dockerClient()
	if _, err := c.Ensure(ctx, img, func(s string) { p.log().Info(s, "endpoint", ep.Name) }); err != nil {
		return nil, err
	}
	spec := container.ServiceSpec{
		RunSpec: container.RunSpec{
			Image:       img,
			Env:         p.containerEnv(ep, port),
			HostNetwork: true,
			Labels:      map[string]string{LabelEndpoint: ep.Name},
		},
		ShmSize: p.ShmSize,
	}
	if spec.ShmSize <= 0 {
		spec.ShmSize = DefaultShmSize
	}
	if len(ep.Server.Command) > 0 {
		cmd := onHost(command(ep, port), p.host())
		spec.Entrypoint, spec.Cmd = cmd[:1], cmd[1:]
	} else {
		spec.Cmd = onHost(ServeArgs(ep, port), p.host())
	}
	if spec.GPUs, spec.AllGPUs, err = p.dockerGPUs(ctx, ep); err != nil {
		return nil, err
	}
	if cache := p.hfCache(); cache != "" {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return nil, fmt.Errorf("create the Hugging Face cache: %w", err)
		}
		spec.Binds = []string{cache + ":" + containerHFCache}
	}
	logf, err := openLog(logPath, fmt.Sprintf("starting %s %s", img, strings.Join(append(append([]string(nil), spec.Entrypoint...), spec.Cmd...), " ")))
	if err != nil {
		return nil, err
	}
	spec.Logs = logf
	id, logsDone, err := c.StartService(ctx, spec)
	if err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{Runtime: "docker", URL: fmt.Sprintf("http://127.0.0.1:%d/v1", port), Container: id, logsDone: logsDone}
	go func() {
		<-logsDone
		logf.Close()
	}()
	return s, nil
}

// containerEnv is a server container's environment: HF_TOKEN, HUGGING_FACE_HUB_TOKEN and
// HF_ENDPOINT from the host when set (gated models, mirrors), the block's env and PORT;
// never the rest of the host's environment.
func (p *Provider) containerEnv(ep *config.Endpoint, port int) []string {
	var base []string
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"} {
		if v := p.getenv(k); v != "" {
			base = append(base, k+"="+v)
		}
	}
	return p.serverEnv(ep, port, base)
}

// hfCache is the host's Hugging Face cache: $HF_HOME, else $HOME/.cache/huggingface.
func (p *Provider) hfCache() string {
	if h := p.getenv("HF_HOME"); h != "" {
		return h
	}
	if home := p.getenv("HOME"); home != "" {
		return filepath.Join(home, ".cache", "huggingface")
	}
	return ""
}

// dockerGPUs are the GPUs to request: the gpu block's devices (all when "all"); without a
// gpu block every GPU when NVML reports some, none otherwise (machines without GPUs, CI).
func (p *Provider) dockerGPUs(ctx context.Context, ep *config.Endpoint) ([]int, bool, error) {
	if g := p.GPUs[ep.Server.GPU]; g != nil {
		return g.Devices, g.Devices == nil, nil
	}
	devs, err := p.inventory(ctx)
	if errors.Is(err, gpu.ErrNoNVML) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return nil, len(devs) > 0, nil
}
