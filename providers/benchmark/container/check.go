package container

import (
	"context"
	"fmt"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/display"
	"github.com/evalplan/evalplan/providers/container"
)

// checkTimeout bounds the daemon calls of Check.
const checkTimeout = 10 * time.Second

var _ plan.Checker = (*Runner)(nil)

// Check implements plan.Checker: when runs with work use container images, the Docker daemon
// must answer, and each image must be present or pullable: an image that is missing from a
// registry that needs credentials (nvcr.io without NGC_API_KEY or a docker login) is not
// ready, since apply's pull would be refused. Nothing is pulled.
func (r *Runner) Check(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	if len(needs.Images) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	docker := r.docker()
	if err := docker.Ping(ctx); err != nil {
		return []plan.Check{{Section: plan.SectionContainers, Name: "docker", Mark: plan.MarkNotReady,
			Detail: err.Error(), Fix: "start the Docker daemon (dockerd) or set DOCKER_HOST; container tasks need it"}}
	}
	out := []plan.Check{{Section: plan.SectionContainers, Name: "docker", Mark: plan.MarkReady, Detail: "daemon answers at " + docker.Host()}}
	for _, n := range needs.Images {
		out = append(out, checkImage(ctx, docker, n))
	}
	return out
}

// checkImage reports one image: present, pulled by apply, or not pullable.
func checkImage(ctx context.Context, docker *container.Client, n plan.ImageNeed) plan.Check {
	c := plan.Check{Section: plan.SectionContainers, Name: n.Image, Mark: plan.MarkNotReady}
	runs := fmt.Sprintf("%d run(s)", len(n.Runs))
	img, err := container.ParseImage(n.Image)
	if err != nil {
		c.Detail, c.Fix = err.Error(), "fix the image reference (the benchmark block's image, or image_mirror)"
		return c
	}
	local, err := docker.Inspect(ctx, img)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	if local.Present {
		c.Mark, c.Detail = plan.MarkReady, fmt.Sprintf("present, %s; %s", display.Bytes(local.Size), runs)
		return c
	}
	auth, err := docker.PullAuth(img)
	switch {
	case err != nil:
		c.Detail, c.Fix = "missing, and the registry credentials cannot be read: "+err.Error(), "fix the docker configuration file"
	case auth.Missing():
		c.Detail = fmt.Sprintf("missing, and %s refuses pulls without credentials (NGC_API_KEY is not set, no docker login); %s", img.Registry(), runs)
		c.Fix = container.CredentialsFix(img)
	default:
		c.Mark, c.Detail = plan.MarkInfo, fmt.Sprintf("missing: apply pulls it %s; %s", auth.Describe(), runs)
	}
	return c
}
