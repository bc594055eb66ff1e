package container

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPullAuth(t *testing.T) {
	home := t.TempDir()
	cfgDir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(cfgDir, "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"auths":{"registry.example.com":{"auth":"dTpw"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		image   string
		environ []string
		want    PullAuth
		missing bool
	}{
		{"nvcr.io without credentials", "nvcr.io/nvidia/eval-factory/simple-evals:1", []string{"HOME=" + home}, PullAuth{Required: true}, true},
		{"nvcr.io with NGC_API_KEY", "nvcr.io/nvidia/eval-factory/simple-evals:1", []string{"HOME=" + home, "NGC_API_KEY=k"}, PullAuth{Source: "NGC_API_KEY", Required: true}, false},
		{"registry with a docker login", "registry.example.com/x:1", []string{"HOME=" + home}, PullAuth{Source: cfgPath}, false},
		{"anonymous registry", "docker.io/library/busybox:1", []string{"HOME=" + home}, PullAuth{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := ParseImage(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			got, err := New(Options{Environ: tt.environ}).PullAuth(img)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PullAuth (-want +got):\n%s", diff)
			}
			if got.Missing() != tt.missing {
				t.Errorf("Missing() = %v, want %v", got.Missing(), tt.missing)
			}
		})
	}
}
