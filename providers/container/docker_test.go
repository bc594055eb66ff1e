package container_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalplan/evalplan/providers/container"
	"github.com/evalplan/evalplan/providers/container/containertest"
)

// newClient is a Client for the test daemon with the given extra environment.
func newClient(t *testing.T, environ ...string) *container.Client {
	t.Helper()
	host := containertest.Env(t, "EVALPLAN_TEST_DOCKER_HOST")
	c := container.New(container.Options{Host: host, Environ: append([]string{"HOME=" + t.TempDir()}, environ...)})
	t.Cleanup(func() { c.Close() })
	return c
}

// pushed builds and pushes the test image as REGISTRY/eval-factory/<test name>:TAG.
func pushed(t *testing.T, reg containertest.Registry, tag string, opts containertest.ImageOptions) container.Image {
	t.Helper()
	api := containertest.Docker(t)
	repo := "eval-factory/" + containertest.RepoName(t)
	digest := containertest.Push(t, api, reg, containertest.Binary(t, t.TempDir()), repo+":"+tag, opts)
	img := container.Image{Repo: reg.Addr + "/" + repo, Tag: tag, Digest: digest}
	t.Cleanup(func() { containertest.Remove(t, api, img.String()) })
	return img
}

func TestEnsurePullsByDigestOnce(t *testing.T) {
	reg := containertest.OpenRegistry(t)
	img := pushed(t, reg, "test", containertest.ImageOptions{})
	c := newClient(t)
	ctx := context.Background()
	if l, err := c.Inspect(ctx, img); err != nil || l.Present {
		t.Fatalf("before pull: present %v, err %v", l.Present, err)
	}
	var (
		mu    sync.Mutex
		lines []string
		wg    sync.WaitGroup
		errs  = make([]error, 4)
	)
	log := func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Ensure(ctx, img, log)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	pulls := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "pulling "+img.String()) {
			pulls++
		}
	}
	if pulls != 1 {
		t.Errorf("pulled %d times, want once; log:\n%s", pulls, strings.Join(lines, "\n"))
	}
	l, err := c.Inspect(ctx, img)
	if err != nil || !l.Present || l.Size == 0 {
		t.Fatalf("after pull: %+v, %v", l, err)
	}
	st, err := c.Images(ctx, []container.Image{img, {Repo: reg.Addr + "/eval-factory/absent", Digest: "sha256:" + strings.Repeat("0", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	if !st[0].Present || st[1].Present {
		t.Errorf("Images = %+v, want present then missing", st)
	}
}

func TestEnsureFailures(t *testing.T) {
	reg := containertest.OpenRegistry(t)
	img := pushed(t, reg, "test", containertest.ImageOptions{})
	other := pushed(t, reg, "other", containertest.ImageOptions{Salt: "other"})
	zero := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name  string
		image container.Image
		want  error
	}{
		{"tag moved to another digest", container.Image{Repo: img.Repo, Tag: "test", Digest: other.Digest}, container.ErrDigestMismatch},
		{"digest absent", container.Image{Repo: img.Repo, Digest: zero}, container.ErrImageNotFound},
		{"repository absent", container.Image{Repo: reg.Addr + "/eval-factory/absent", Tag: "26.03", Digest: zero}, container.ErrImageNotFound},
	}
	c := newClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Ensure(context.Background(), tt.image, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Ensure: %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestEnsureAuth(t *testing.T) {
	reg := containertest.AuthRegistry(t)
	img := pushed(t, reg, "test", containertest.ImageOptions{})
	config := func(user, pass string) string {
		dir := t.TempDir()
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		b := []byte(`{"auths": {"` + reg.Addr + `": {"auth": "` + auth + `"}}}`)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return "DOCKER_CONFIG=" + dir
	}
	tests := []struct {
		name    string
		environ []string
		want    error
	}{
		{"no credentials", nil, container.ErrUnauthorized},
		{"wrong password", []string{config(reg.User, "wrong")}, container.ErrUnauthorized},
		{"config.json", []string{config(reg.User, reg.Password)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient(t, tt.environ...).Ensure(context.Background(), img, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Ensure: %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "docker login") {
				t.Errorf("error does not say what to do: %v", err)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the log goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	reg := containertest.OpenRegistry(t)
	img := pushed(t, reg, "test", containertest.ImageOptions{})
	c := newClient(t)
	ctx := context.Background()
	if _, err := c.Ensure(ctx, img, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("exit code and logs", func(t *testing.T) {
		var logs syncBuffer
		var states []string
		code, err := c.Run(ctx, container.RunSpec{
			Image: img, Entrypoint: []string{"nemo-evaluator"}, Cmd: []string{"bogus"}, Logs: &logs,
			Status: func(s container.Status) { states = append(states, s.State) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if code != 1 || !strings.Contains(logs.String(), "usage: nemo-evaluator run_eval") {
			t.Errorf("code %d, logs %q", code, logs.String())
		}
		if len(states) < 2 || states[0] != "running" || states[len(states)-1] != "exited" {
			t.Errorf("states = %v, want running ... exited", states)
		}
	})
	t.Run("missing executable", func(t *testing.T) {
		_, err := c.Run(ctx, container.RunSpec{Image: img, Entrypoint: []string{"eval-factory"}})
		if !errors.Is(err, container.ErrExecutableNotFound) {
			t.Fatalf("Run: %v, want ErrExecutableNotFound", err)
		}
	})
	t.Run("cancel removes the container", func(t *testing.T) {
		dir := t.TempDir()
		conf := "config:\n  type: t\n  output_dir: /results\n  params:\n    extra: {mode: hang}\n"
		if err := os.WriteFile(filepath.Join(dir, "run_config.yml"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var seen container.Status
		label := map[string]string{"dev.evalplan.test": containertest.RepoName(t)}
		_, err := c.Run(ctx, container.RunSpec{
			Image: img, Entrypoint: []string{"nemo-evaluator"}, Cmd: []string{"run_eval", "--run_config", "/results/run_config.yml"},
			Binds: []string{dir + ":/results"}, Labels: label, StatusEvery: 50 * time.Millisecond,
			Status: func(s container.Status) {
				if s.State == "running" && s.MemoryBytes > 0 { // a stats sample: the container is up
					seen = s
					cancel() // as Ctrl-C does
				}
			},
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v, want context.Canceled", err)
		}
		if seen.Elapsed <= 0 {
			t.Errorf("status sample without elapsed time: %+v", seen)
		}
		left, err := c.Leftovers(context.Background(), label)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("containers left behind: %v", left)
		}
	})
}
