package vllm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/gpu"
)

// checkTimeout bounds the daemon, registry and server calls of one endpoint's check.
const checkTimeout = 10 * time.Second

var _ plan.Checker = (*Provider)(nil)

// Check implements plan.Checker for the managed endpoints apply starts (needs.Services): a
// server recorded as running with the same launch is reused; otherwise the process runtime
// needs its program (vllm, or the block's command) and the docker runtime needs the Docker
// daemon and its image, present or pullable. When any server is to be started, the GPUs are
// inventoried (NVML) and each gpu block's devices checked, as Start does.
func (p *Provider) Check(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	out := p.checkIdle(ctx, cfg, needs)
	if len(needs.Services) == 0 {
		return out
	}
	for _, ep := range needs.Services {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		out = append(out, p.checkEndpoint(cctx, ep, needs.NoRefresh))
		cancel()
	}
	return append(out, p.checkGPUInventory(ctx, needs.Services)...)
}

// checkIdle reports the servers that run although no run needs them now (kept running, or
// started by evalplan endpoint start), so that status shows them and how to stop them.
func (p *Provider) checkIdle(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	var out []plan.Check
	for _, name := range slices.Sorted(maps.Keys(cfg.Endpoints)) {
		ep := cfg.Endpoints[name]
		if !ep.Managed() || slices.ContainsFunc(needs.Services, func(e *config.Endpoint) bool { return e.Name == name }) {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		st := p.Status(cctx, ep)
		cancel()
		if st.State == StateStopped {
			continue
		}
		kept := ""
		if st.Kept {
			kept = ", kept"
		}
		out = append(out, plan.Check{Section: plan.SectionEndpoints, Name: addrs.Endpoint{Name: name}.String(), Mark: plan.MarkInfo,
			Detail: fmt.Sprintf("managed (%s runtime, model %q): its server is %s at %s (%s, since %s%s); no run needs it now; 'evalplan endpoint stop %s' stops it",
				st.Runtime, ep.Model, st.State, st.URL, st.Process(), st.StartedAt.Local().Format(time.DateTime), kept, name)})
	}
	return out
}

// checkEndpoint reports whether apply can start (or reuse) one managed endpoint's server.
func (p *Provider) checkEndpoint(ctx context.Context, ep *config.Endpoint, noRefresh bool) plan.Check {
	c := plan.Check{Section: plan.SectionEndpoints, Name: addrs.Endpoint{Name: ep.Name}.String()}
	what := fmt.Sprintf("managed (%s runtime, model %q)", ep.Server.Runtime, ep.Model)
	if url, ok := p.reusable(ctx, ep); ok {
		c.Mark, c.Detail = plan.MarkReady, what+": its server is running at "+url+" (started by an earlier apply); apply reuses it"
		return c
	}
	switch ep.Server.Runtime {
	case "process":
		return p.checkProcess(c, ep, what)
	case "docker":
		return p.checkDocker(ctx, c, ep, what, noRefresh)
	}
	c.Mark, c.Detail, c.Fix = plan.MarkNotReady, fmt.Sprintf("unknown runtime %q", ep.Server.Runtime), `set runtime = "docker" or "process"`
	return c
}

// reusable is the URL of a server an earlier apply left running with the same launch, which
// Start would reuse.
func (p *Provider) reusable(ctx context.Context, ep *config.Endpoint) (string, bool) {
	rec := p.readRecord(ep.Name)
	if rec == nil {
		return "", false
	}
	launch, err := p.launchHash(ep)
	if err != nil || rec.Launch != launch || !p.alive(ctx, rec) || p.ready(ctx, ep, rec.URL) != nil {
		return "", false
	}
	return rec.URL, true
}

// checkProcess reports whether the process runtime's program can be found, as Start runs it.
func (p *Provider) checkProcess(c plan.Check, ep *config.Endpoint, what string) plan.Check {
	prog := command(ep, 0)[0]
	path, err := p.findProgram(prog)
	if err == nil {
		c.Mark, c.Detail = plan.MarkReady, fmt.Sprintf("%s: apply starts %s when a run needs it", what, path)
		return c
	}
	c.Mark = plan.MarkNotReady
	k := kindOf(ep.Server)
	if len(ep.Server.Command) == 0 {
		c.Detail = fmt.Sprintf("%s: %s is not on PATH, so apply cannot start the server", what, prog)
		c.Fix = k.install() + `, set command to another OpenAI-compatible server, or use runtime = "docker"`
		return c
	}
	c.Detail = fmt.Sprintf("%s: the command's program %s: %v", what, prog, err)
	c.Fix = "install it, or fix command in the " + k.name() + " block"
	return c
}

// findProgram finds a process server's program as exec.Command does: a name with a slash is
// a path (relative ones relative to WorkDir, the server's directory), others are looked up in
// PATH.
func (p *Provider) findProgram(prog string) (string, error) {
	if !strings.Contains(prog, "/") {
		return exec.LookPath(prog)
	}
	path := prog
	if !filepath.IsAbs(path) && p.WorkDir != "" {
		path = filepath.Join(p.WorkDir, path)
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", errors.New("no such file")
	case st.IsDir() || st.Mode().Perm()&0o111 == 0:
		return "", errors.New("not an executable file")
	}
	return path, nil
}

// checkDocker reports whether the docker runtime can start the server: the daemon answers,
// the image resolves (unless noRefresh) and is present or pullable.
func (p *Provider) checkDocker(ctx context.Context, c plan.Check, ep *config.Endpoint, what string, noRefresh bool) plan.Check {
	docker := p.dockerClient()
	c.Mark = plan.MarkNotReady
	if err := docker.Ping(ctx); err != nil {
		c.Detail = what + ": " + err.Error()
		c.Fix = `start the Docker daemon (dockerd) or set DOCKER_HOST, or use runtime = "process"`
		return c
	}
	img, err := container.ParseImage(imageName(ep))
	if err == nil && !noRefresh {
		img, err = p.pinned(ctx, ep)
	}
	if err != nil {
		c.Detail = what + ": " + strings.TrimPrefix(err.Error(), c.Name+": ")
		c.Fix = "check the " + kindOf(ep.Server).name() + " block's image and that Docker can reach its registry"
		return c
	}
	local, err := docker.Inspect(ctx, img)
	if err != nil {
		c.Detail = what + ": " + err.Error()
		return c
	}
	if local.Present {
		c.Mark, c.Detail = plan.MarkReady, fmt.Sprintf("%s: image %s present; apply starts the server when a run needs it", what, img)
		return c
	}
	auth, err := docker.PullAuth(img)
	switch {
	case err != nil:
		c.Detail, c.Fix = fmt.Sprintf("%s: image %s missing, and the registry credentials cannot be read: %v", what, img, err), "fix the docker configuration file"
	case auth.Missing():
		c.Detail = fmt.Sprintf("%s: image %s missing, and %s refuses pulls without credentials", what, img, img.Registry())
		c.Fix = container.CredentialsFix(img)
	default:
		c.Mark, c.Detail = plan.MarkInfo, fmt.Sprintf("%s: image %s missing: apply pulls it %s, then starts the server", what, img, auth.Describe())
	}
	return c
}

// checkGPUInventory inventories the GPUs and checks the gpu blocks the services select.
func (p *Provider) checkGPUInventory(ctx context.Context, services []*config.Endpoint) []plan.Check {
	inv, err := p.inventory(ctx)
	if errors.Is(err, gpu.ErrNoNVML) {
		return []plan.Check{{Section: plan.SectionGPU, Name: "gpu", Mark: plan.MarkInfo,
			Detail: err.Error() + ": apply skips the GPU checks of managed endpoints"}}
	}
	if err != nil {
		return []plan.Check{{Section: plan.SectionGPU, Name: "gpu", Mark: plan.MarkNotReady, Detail: err.Error(),
			Fix: "check the NVIDIA driver (nvidia-smi), or use an external endpoint (url) instead of a vllm block"}}
	}
	out := []plan.Check{{Section: plan.SectionGPU, Name: "gpu", Mark: plan.MarkReady, Detail: describeGPUs(inv)}}
	var seen []string
	for _, ep := range services {
		g := p.GPUs[ep.Server.GPU]
		if g == nil || slices.Contains(seen, g.Name) {
			continue
		}
		seen = append(seen, g.Name)
		addr := "gpu." + g.Name
		sel, err := gpu.Select(inv, g)
		if err != nil {
			out = append(out, plan.Check{Section: plan.SectionGPU, Name: addr, Mark: plan.MarkNotReady, Detail: strings.TrimPrefix(err.Error(), addr+": ")})
			continue
		}
		out = append(out, plan.Check{Section: plan.SectionGPU, Name: addr, Mark: plan.MarkReady, Detail: "devices " + joinInts(gpu.Indexes(sel))})
	}
	return out
}

// describeGPUs is "2 GPU(s): 0 NVIDIA H100 (70000 of 81559 MiB free), 1 ...".
func describeGPUs(inv []gpu.Device) string {
	if len(inv) == 0 {
		return "NVML found no GPU"
	}
	parts := make([]string, len(inv))
	for i, d := range inv {
		parts[i] = fmt.Sprintf("%d %s (%d of %d MiB free)", d.Index, d.Name, d.MemoryFreeMiB, d.MemoryTotalMiB)
	}
	return fmt.Sprintf("%d GPU(s): %s", len(inv), strings.Join(parts, ", "))
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
