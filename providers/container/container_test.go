package container

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-cmp/cmp"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestParseImage(t *testing.T) {
	tests := []struct {
		in      string
		want    Image
		pinned  string
		wantErr bool
	}{
		{"nvcr.io/nvidia/eval-factory/simple-evals@" + digestA, Image{Repo: "nvcr.io/nvidia/eval-factory/simple-evals", Digest: digestA}, "nvcr.io/nvidia/eval-factory/simple-evals@" + digestA, false},
		{"127.0.0.1:5001/x/y:26.03@" + digestA, Image{Repo: "127.0.0.1:5001/x/y", Tag: "26.03", Digest: digestA}, "127.0.0.1:5001/x/y@" + digestA, false},
		{"127.0.0.1:5001/x/y:v1", Image{Repo: "127.0.0.1:5001/x/y", Tag: "v1"}, "127.0.0.1:5001/x/y:v1", false},
		{"busybox", Image{Repo: "busybox", Tag: "latest"}, "busybox:latest", false},
		{"x@sha256:123", Image{}, "", true},
		{"bad name", Image{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseImage(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err == nil && got.String() != tt.pinned {
				t.Errorf("String() = %q, want %q", got.String(), tt.pinned)
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	cfg := `{"auths": {"https://registry.example:5001/v1/": {"auth": "` + auth + `"}, "plain.example": {"username": "bob", "password": "pw"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		image   string
		environ []string
		want    *registry.AuthConfig
	}{
		{"ngc key", "nvcr.io/nvidia/eval-factory/mmlu:26.03", []string{"NGC_API_KEY=nvapi-x", "DOCKER_CONFIG=" + dir},
			&registry.AuthConfig{Username: "$oauthtoken", Password: "nvapi-x", ServerAddress: "nvcr.io"}},
		{"ngc without key", "nvcr.io/nvidia/eval-factory/mmlu:26.03", []string{"DOCKER_CONFIG=" + dir}, nil},
		{"config auth field", "registry.example:5001/team/img:1", []string{"DOCKER_CONFIG=" + dir},
			&registry.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: "https://registry.example:5001/v1/"}},
		{"config user and password", "plain.example/img:1", []string{"HOME=" + filepath.Join(dir, "nohome"), "DOCKER_CONFIG=" + dir},
			&registry.AuthConfig{Username: "bob", Password: "pw", ServerAddress: "plain.example"}},
		{"no entry", "other.example/img:1", []string{"DOCKER_CONFIG=" + dir}, nil},
		{"no config file", "other.example/img:1", []string{"HOME=" + filepath.Join(dir, "nohome")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := ParseImage(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			got, err := New(Options{Environ: tt.environ}).credentials(img)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusFromStats(t *testing.T) {
	var s container.StatsResponse
	s.CPUStats.CPUUsage.TotalUsage = 3_000_000
	s.CPUStats.SystemUsage = 20_000_000
	s.CPUStats.OnlineCPUs = 2
	s.MemoryStats.Usage = 50 << 20
	s.MemoryStats.Limit = 1 << 30
	s.MemoryStats.Stats = map[string]uint64{"inactive_file": 10 << 20}
	tests := []struct {
		name string
		prev *cpuSample
		want Status
	}{
		{"first sample", nil, Status{State: "running", CPUPercent: -1, MemoryBytes: 40 << 20, MemoryLimit: 1 << 30}},
		{"with previous", &cpuSample{total: 1_000_000, system: 10_000_000}, Status{State: "running", CPUPercent: 40, MemoryBytes: 40 << 20, MemoryLimit: 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cur := statusFromStats(&s, tt.prev)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if cur != (cpuSample{total: 3_000_000, system: 20_000_000, cpus: 2}) {
				t.Errorf("sample = %+v", cur)
			}
		})
	}
	if got, want := (Status{State: "running", CPUPercent: 12.5, MemoryBytes: 45_200_000, Elapsed: 65e9}).String(), "running 1m5s, CPU 12.5%, memory 45.2 MB"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDaemonUnavailable(t *testing.T) {
	c := New(Options{Host: "unix://" + filepath.Join(t.TempDir(), "docker.sock")})
	err := c.Ping(context.Background())
	if !errors.Is(err, ErrDaemonUnavailable) {
		t.Fatalf("Ping: %v, want ErrDaemonUnavailable", err)
	}
	if !strings.Contains(err.Error(), "DOCKER_HOST") {
		t.Errorf("error does not say what to do: %v", err)
	}
	img, _ := ParseImage("127.0.0.1:1/x@" + digestA)
	if _, err := c.Ensure(context.Background(), img, nil); !errors.Is(err, ErrDaemonUnavailable) {
		t.Errorf("Ensure: %v, want ErrDaemonUnavailable", err)
	}
}
