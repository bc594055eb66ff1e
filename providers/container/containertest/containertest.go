// Package containertest gives tests a real Docker daemon, a local registry and the NeMo
// Evaluator test image (providers/container/testdata/evaluator, built with CGO_ENABLED=0 into a
// FROM scratch image, pushed to the registry and removed locally so that the code under test
// must pull it by digest).
//
// The services come from .ci/services.d/20-docker.sh and 30-registry.sh through
// EVALPLAN_TEST_DOCKER_HOST, EVALPLAN_TEST_REGISTRY and EVALPLAN_TEST_REGISTRY_AUTH (with
// EVALPLAN_TEST_REGISTRY_USER and _PASSWORD). When one is missing a test skips, or fails when
// CI=true.
//
// It is for tests only.
package containertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// EvaluatorPackage is the import path of the test evaluator program.
const EvaluatorPackage = "github.com/evalplan/evalplan/providers/container/testdata/evaluator"

// Env returns the environment variable a test needs, skipping the test (failing it when
// CI=true) when it is not set.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := name + " is not set: start the services with .ci/services.sh (make test does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

// Registry is a registry for a test: its address and, for the auth registry, credentials.
type Registry struct {
	Addr     string
	User     string
	Password string
}

// OpenRegistry is the local registry without auth.
func OpenRegistry(t testing.TB) Registry {
	return Registry{Addr: Env(t, "EVALPLAN_TEST_REGISTRY")}
}

// AuthRegistry is the local registry with htpasswd auth.
func AuthRegistry(t testing.TB) Registry {
	return Registry{
		Addr:     Env(t, "EVALPLAN_TEST_REGISTRY_AUTH"),
		User:     Env(t, "EVALPLAN_TEST_REGISTRY_USER"),
		Password: Env(t, "EVALPLAN_TEST_REGISTRY_PASSWORD"),
	}
}

// Docker is an API client for the test daemon, closed when the test ends.
func Docker(t testing.TB) *client.Client {
	t.Helper()
	host := Env(t, "EVALPLAN_TEST_DOCKER_HOST")
	api, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	if _, err := api.Ping(context.Background()); err != nil {
		t.Fatalf("Docker at %s: %v", host, err)
	}
	return api
}

// Binary builds the evaluator program (static, CGO_ENABLED=0) into dir and returns its path.
// Go's build cache makes repeated builds cheap.
func Binary(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "evaluator")
	cmd := exec.Command("go", "build", "-o", out, EvaluatorPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the evaluator: %v\n%s", err, b)
	}
	return out
}

// ImageOptions vary the test image.
type ImageOptions struct {
	// Executable is the program's name on PATH; default "nemo-evaluator" (use "eval-factory"
	// for an old-style image).
	Executable string
	// Salt is written as a label, so that different salts give different digests.
	Salt string
	// Entrypoint, when set, is the image's ENTRYPOINT (exec form), for images that serve
	// without a command, as a NIM container does.
	Entrypoint []string
}

// Push builds the test image from binary, pushes it to reg as REPO:TAG (repo under the
// registry, e.g. "eval-factory/fake"), removes it locally and returns its digest. Builds skip
// the cache, so that removing one test's image never removes a layer another test's build is
// using (tests of several packages share the daemon).
func Push(t testing.TB, api *client.Client, reg Registry, binary, repoTag string, opts ImageOptions) string {
	t.Helper()
	ctx := context.Background()
	if opts.Executable == "" {
		opts.Executable = "nemo-evaluator"
	}
	ref := reg.Addr + "/" + repoTag
	bin, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := fmt.Sprintf("FROM scratch\nENV PATH=/usr/local/bin\nCOPY evaluator /usr/local/bin/%s\nLABEL dev.evalplan.test.salt=%q\n", opts.Executable, opts.Salt)
	if len(opts.Entrypoint) > 0 {
		ep, err := json.Marshal(opts.Entrypoint)
		if err != nil {
			t.Fatal(err)
		}
		dockerfile += "ENTRYPOINT " + string(ep) + "\n"
	}
	buildCtx, err := tarball(map[string][]byte{"Dockerfile": []byte(dockerfile), "evaluator": bin})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{Tags: []string{ref}, Remove: true, ForceRemove: true, NoCache: true})
	if err != nil {
		t.Fatalf("build %s: %v", ref, err)
	}
	if _, err := readStream(resp.Body); err != nil {
		t.Fatalf("build %s: %v", ref, err)
	}
	auth := ""
	if reg.User != "" {
		auth, err = registry.EncodeAuthConfig(registry.AuthConfig{Username: reg.User, Password: reg.Password, ServerAddress: reg.Addr})
		if err != nil {
			t.Fatal(err)
		}
	}
	rc, err := api.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	digest, err := readStream(rc)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if digest == "" {
		t.Fatalf("push %s: the daemon reported no digest", ref)
	}
	Remove(t, api, ref)
	return digest
}

// Remove deletes an image from the daemon (no error when it is absent).
func Remove(t testing.TB, api *client.Client, ref string) {
	t.Helper()
	if _, err := api.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !strings.Contains(err.Error(), "No such image") {
		t.Fatalf("remove %s: %v", ref, err)
	}
}

// RepoName turns a test name into a valid repository path component.
func RepoName(t testing.TB) string {
	return strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
}

// readStream consumes a build or push JSON stream, returning the pushed digest if any.
func readStream(r io.ReadCloser) (string, error) {
	defer r.Close()
	dec := json.NewDecoder(r)
	digest := ""
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return digest, nil
		} else if err != nil {
			return digest, err
		}
		if m.Error != nil {
			return digest, errors.New(m.Error.Message)
		}
		if m.Aux != nil {
			var aux struct{ Digest string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.Digest != "" {
				digest = aux.Digest
			}
		}
	}
}

// tarball is a tar archive of files (a build context).
func tarball(files map[string][]byte) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"Dockerfile", "evaluator"} {
		b := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(b))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &buf, nil
}
