package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/evalplan/evalplan/plan/display"
)

// Local describes an image in the daemon's store.
type Local struct {
	Present bool
	ID      string
	// Size is the image's size on disk in bytes.
	Size int64
	// RepoDigests are the "repo@sha256:…" references the image was pulled or pushed as.
	RepoDigests []string
}

// Inspect reports whether the daemon has the image (by digest when pinned, else by tag).
func (c *Client) Inspect(ctx context.Context, img Image) (Local, error) {
	api, err := c.engine()
	if err != nil {
		return Local{}, err
	}
	info, err := api.ImageInspect(ctx, img.String())
	if cerrdefs.IsNotFound(err) {
		return Local{}, nil
	}
	if err != nil {
		return Local{}, fmt.Errorf("inspect %s: %w", img, c.daemonError(err))
	}
	return Local{Present: true, ID: info.ID, Size: info.Size, RepoDigests: info.RepoDigests}, nil
}

// Resolve asks the registry which digest the image's tag points to now.
func (c *Client) Resolve(ctx context.Context, img Image) (string, error) {
	api, err := c.engine()
	if err != nil {
		return "", err
	}
	auth, err := c.encodedAuth(img)
	if err != nil {
		return "", err
	}
	di, err := api.DistributionInspect(ctx, img.Tagged(), auth)
	if err != nil {
		return "", c.registryError("resolve "+img.Tagged(), img, c.daemonError(err))
	}
	return string(di.Descriptor.Digest), nil
}

// flight is one pull in progress; callers that want the same image wait for it.
type flight struct {
	done  chan struct{}
	local Local
	err   error
}

// Ensure makes a pinned image present: it returns at once when the daemon has it, and
// otherwise pulls it (once, however many callers ask at the same time), checking first that
// the tag, when given, still resolves to the pinned digest, and afterwards that the daemon
// holds exactly that digest. log receives progress lines (may be nil).
func (c *Client) Ensure(ctx context.Context, img Image, log func(string)) (Local, error) {
	if log == nil {
		log = func(string) {}
	}
	if img.Digest == "" {
		d, err := c.Resolve(ctx, img)
		if err != nil {
			return Local{}, err
		}
		img.Digest = d
	}
	if l, err := c.Inspect(ctx, img); err != nil || l.Present {
		return l, err
	}
	key := img.String()
	c.mu.Lock()
	f := c.pulls[key]
	leader := f == nil
	if leader {
		f = &flight{done: make(chan struct{})}
		c.pulls[key] = f
	}
	c.mu.Unlock()
	if leader {
		f.local, f.err = c.pull(ctx, img, log)
		c.mu.Lock()
		delete(c.pulls, key)
		c.mu.Unlock()
		close(f.done)
		return f.local, f.err
	}
	log("waiting for the pull of " + key)
	select {
	case <-f.done:
		return f.local, f.err
	case <-ctx.Done():
		return Local{}, ctx.Err()
	}
}

// pull verifies the tag, pulls by digest and checks what arrived.
func (c *Client) pull(ctx context.Context, img Image, log func(string)) (Local, error) {
	// Another caller's pull may have finished between our Inspect and taking the lead.
	if l, err := c.Inspect(ctx, img); err != nil || l.Present {
		return l, err
	}
	if img.Tag != "" {
		got, err := c.Resolve(ctx, img)
		if err != nil {
			return Local{}, err
		}
		if got != img.Digest {
			return Local{}, fmt.Errorf("%w: %s resolves to %s in the registry, but the configuration pins %s: pin the new digest (benchmark block: image = \"%s@%s\") if the change is intended, or use a mirror that holds the pinned one",
				ErrDigestMismatch, img.Tagged(), got, img.Digest, img.Repo, got)
		}
	}
	api, err := c.engine()
	if err != nil {
		return Local{}, err
	}
	auth, err := c.encodedAuth(img)
	if err != nil {
		return Local{}, err
	}
	log("pulling " + img.String())
	start := time.Now()
	rc, err := api.ImagePull(ctx, img.String(), image.PullOptions{RegistryAuth: auth})
	if err != nil {
		return Local{}, c.registryError("pull "+img.String(), img, c.daemonError(err))
	}
	defer rc.Close()
	if err := readPull(rc, log); err != nil {
		if ctx.Err() != nil {
			return Local{}, ctx.Err()
		}
		return Local{}, c.registryError("pull "+img.String(), img, err)
	}
	l, err := c.Inspect(ctx, img)
	if err != nil {
		return Local{}, err
	}
	want := img.Repo + "@" + img.Digest
	if !l.Present || !slices.ContainsFunc(l.RepoDigests, func(d string) bool { return d == want || strings.HasSuffix(d, "@"+img.Digest) }) {
		return Local{}, fmt.Errorf("%w: pulled %s, but the daemon holds %v", ErrDigestMismatch, want, l.RepoDigests)
	}
	log(fmt.Sprintf("pulled %s (%s) in %s", img, display.Bytes(l.Size), time.Since(start).Round(100*time.Millisecond)))
	return l, nil
}

// readPull consumes the daemon's JSON progress stream, reporting bytes downloaded every few
// seconds, and returns the first error it carries.
func readPull(r io.Reader, log func(string)) error {
	dec := json.NewDecoder(r)
	layers := map[string][2]int64{} // id → current, total
	last := time.Now()
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read pull progress: %w", err)
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		if m.Progress != nil && m.ID != "" && m.Progress.Total > 0 {
			layers[m.ID] = [2]int64{m.Progress.Current, m.Progress.Total}
		}
		if time.Since(last) >= 3*time.Second && len(layers) > 0 {
			last = time.Now()
			var cur, total int64
			for _, l := range layers {
				cur, total = cur+l[0], total+l[1]
			}
			log(fmt.Sprintf("pulling: %s of %s (%d layers in progress)", display.Bytes(cur), display.Bytes(total), len(layers)))
		}
	}
}

// registryError classifies a registry failure as ErrUnauthorized or ErrImageNotFound, with
// what to do.
func (c *Client) registryError(op string, img Image, err error) error {
	if errors.Is(err, ErrDaemonUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "unauthorized") || strings.Contains(msg, "authentication required") ||
		strings.Contains(msg, "no basic auth credentials") || strings.Contains(msg, "denied") || cerrdefs.IsUnauthorized(err):
		how := "log in with `docker login " + img.Registry() + "` (credentials are read from ~/.docker/config.json or $DOCKER_CONFIG)"
		if img.Registry() == ngcRegistry {
			how = "set NGC_API_KEY to an NGC API key (user $oauthtoken), or log in with `docker login nvcr.io`"
		}
		return fmt.Errorf("%s: %w at %s (%v): %s", op, ErrUnauthorized, img.Registry(), err, how)
	case strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "not found") ||
		strings.Contains(msg, "name unknown") || cerrdefs.IsNotFound(err):
		return fmt.Errorf("%s: %w (%v): check the image name and digest, or the image_mirror setting, and that the registry holds it", op, ErrImageNotFound, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ImageStatus is whether one needed image is present locally.
type ImageStatus struct {
	Image   Image
	Present bool
	ID      string
	Size    int64
}

// Images reports, for each image, whether the daemon has it and its size.
func (c *Client) Images(ctx context.Context, imgs []Image) ([]ImageStatus, error) {
	out := make([]ImageStatus, 0, len(imgs))
	for _, img := range imgs {
		l, err := c.Inspect(ctx, img)
		if err != nil {
			return out, err
		}
		out = append(out, ImageStatus{Image: img, Present: l.Present, ID: l.ID, Size: l.Size})
	}
	return out, nil
}
