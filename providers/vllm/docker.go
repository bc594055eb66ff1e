package vllm

import (
	"context"
	"errors"
	"fmt"
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
// server binds 127.0.0.1:port), the selected GPUs, ShmSize of /dev/shm and the model cache
// mounted (the Hugging Face cache; NIM's cache at NIMCache). The block's command, when set,
// replaces the image's entrypoint and command; otherwise an image whose entrypoint is the
// server (vLLM's, NIM's) gets the kind's arguments, and SGLang's image runs its program.
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
	k := kindOf(ep.Server)
	switch {
	case len(ep.Server.Command) > 0:
		cmd := onHost(command(ep, port), p.host())
		spec.Entrypoint, spec.Cmd = cmd[:1], cmd[1:]
	case k.imageServes():
		spec.Cmd = onHost(k.args(ep, port), p.host())
	default:
		spec.Cmd = onHost(command(ep, port), p.host())
	}
	if spec.GPUs, spec.AllGPUs, err = p.dockerGPUs(ctx, ep); err != nil {
		return nil, err
	}
	if cache := p.cacheDir(k); cache != "" {
		if err := ensureCache(cache, k); err != nil {
			return nil, fmt.Errorf("create the model cache: %w", err)
		}
		spec.Binds = []string{cache + ":" + k.cacheMount()}
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
// HF_ENDPOINT from the host when set (gated models, mirrors), for NIM also NGC_API_KEY (its
// model download), then the kind's variables (NIM_*), the block's env and PORT; never the
// rest of the host's environment. The secrets go only to the daemon: the launch record,
// the log header and the plan never hold the environment.
func (p *Provider) containerEnv(ep *config.Endpoint, port int) []string {
	k := kindOf(ep.Server)
	pass := []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"}
	if k.name() == config.ServerNIM {
		pass = append(pass, NGCAPIKey)
	}
	var base []string
	for _, name := range pass {
		if v := p.getenv(name); v != "" {
			base = append(base, name+"="+v)
		}
	}
	return p.serverEnv(ep, port, append(base, k.env(ep, port)...))
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
