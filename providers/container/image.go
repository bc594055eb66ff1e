package container

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Image names a container image, normally pinned by digest.
type Image struct {
	// Repo is the repository as written, e.g. "nvcr.io/nvidia/eval-factory/simple-evals".
	Repo string
	// Tag is optional; when set with Digest, a pull first checks that the registry's tag still
	// resolves to Digest.
	Tag string
	// Digest is "sha256:<64 hex>"; empty for an unpinned image.
	Digest string
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseImage parses "repo[:tag][@sha256:<hex>]".
func ParseImage(ref string) (Image, error) {
	var img Image
	name, digest, pinned := strings.Cut(ref, "@")
	if pinned {
		if !digestPattern.MatchString(digest) {
			return Image{}, fmt.Errorf("image %q: digest must be sha256:<64 hex digits>", ref)
		}
		img.Digest = digest
	}
	img.Repo = name
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		img.Repo, img.Tag = name[:i], name[i+1:]
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return Image{}, fmt.Errorf("image %q: %w", ref, err)
	}
	if img.Tag == "" && img.Digest == "" {
		img.Tag = "latest"
	}
	return img, nil
}

// String is the reference that pins the image: "repo@digest", or "repo:tag" when unpinned.
func (i Image) String() string {
	if i.Digest != "" {
		return i.Repo + "@" + i.Digest
	}
	return i.Tagged()
}

// Tagged is "repo:tag" ("repo" when there is no tag).
func (i Image) Tagged() string {
	if i.Tag == "" {
		return i.Repo
	}
	return i.Repo + ":" + i.Tag
}

// Registry is the image's registry host ("docker.io" for Docker Hub).
func (i Image) Registry() string {
	named, err := reference.ParseNormalizedNamed(i.Repo)
	if err != nil {
		return ""
	}
	return reference.Domain(named)
}
