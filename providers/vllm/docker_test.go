package vllm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
)

// simImage builds evalplan-sim (static) into a FROM scratch image, pushes it to the test
// registry as REGISTRY/vllm-sim/<test>:test and returns the reference with the tag only.
func simImage(t *testing.T) (string, string) {
	t.Helper()
	reg := containertest.OpenRegistry(t)
	api := containertest.Docker(t)
	bin := filepath.Join(t.TempDir(), "evalplan-sim")
	build := exec.Command("go", "build", "-o", bin, "github.com/evalplan/evalplan/cmd/evalplan-sim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build evalplan-sim: %v\n%s", err, out)
	}
	repo := "vllm-sim/" + containertest.RepoName(t)
	digest := containertest.Push(t, api, reg, bin, repo+":test", containertest.ImageOptions{Executable: "evalplan-sim"})
	ref := reg.Addr + "/" + repo + ":test"
	t.Cleanup(func() { containertest.Remove(t, api, reg.Addr+"/"+repo+"@"+digest) })
	return ref, digest
}

// TestDockerRuntime runs the simulator image as a managed endpoint with the host network:
// the fingerprint pins the image's digest, Start pulls it and waits for readiness, Stop
// removes the container; a container that exits early fails the start with its logs.
func TestDockerRuntime(t *testing.T) {
	host := containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST")
	ref, digest := simImage(t)
	name := containertest.RepoName(t)
	docker := container.New(container.Options{Host: host, Environ: []string{}})
	t.Cleanup(func() { docker.Close() })
	p := &Provider{Dir: t.TempDir(), Docker: docker, Environ: []string{"HOME=" + t.TempDir()}, PollInterval: 50 * time.Millisecond, StopTimeout: 5 * time.Second}
	ep := &config.Endpoint{Name: name, Model: "sim-model", Type: "chat", Server: &config.ManagedServer{
		Runtime: "docker", Image: ref, StartTimeout: 2 * time.Minute,
		Command: []string{"evalplan-sim", "-addr", "127.0.0.1:{port}"},
	}}
	ctx := context.Background()
	fp, err := p.Fingerprint(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	if want := ref + "@" + digest; fp.Image != want {
		t.Errorf("fingerprint image %q, want %q", fp.Image, want)
	}
	url, err := p.Start(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = p.Stop(context.Background(), ep)
		}
	})
	getModels(t, url)
	labels := map[string]string{LabelEndpoint: name}
	if ids, err := docker.Leftovers(ctx, labels); err != nil || len(ids) != 1 {
		t.Fatalf("containers while running: %v, %v; want one", ids, err)
	}
	if err := p.Stop(ctx, ep); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if ids, err := docker.Leftovers(ctx, labels); err != nil || len(ids) != 0 {
		t.Errorf("containers after stop: %v, %v; want none", ids, err)
	}
	log, _ := os.ReadFile(filepath.Join(p.Dir, ServicesDir, name+".log"))
	if !strings.Contains(string(log), "evalplan-sim listening on") {
		t.Errorf("log lacks the server's output:\n%s", log)
	}

	bad := *ep
	bad.Server = &config.ManagedServer{Runtime: "docker", Image: ref, StartTimeout: 2 * time.Minute, Command: []string{"evalplan-sim", "-accuracy", "7"}}
	_, err = p.Start(ctx, &bad)
	if err == nil || !strings.Contains(err.Error(), "container exit code 2") || !strings.Contains(err.Error(), "-url-file FILE") {
		t.Errorf("start of a failing container: %v", err)
	}
	if ids, err := docker.Leftovers(ctx, labels); err != nil || len(ids) != 0 {
		t.Errorf("containers after a failed start: %v, %v; want none", ids, err)
	}
}
