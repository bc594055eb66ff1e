package slurm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/config"
)

func TestDiscoveredAcquire(t *testing.T) {
	ep := &config.Endpoint{Name: "m", Server: &config.ManagedServer{Kind: config.ServerVLLM, Runtime: "process", StartTimeout: 300 * time.Millisecond}}
	tests := []struct {
		name    string
		files   map[string]string // written before Acquire
		want    string
		wantErr string
	}{
		{"URL written by the server job", map[string]string{"url-7": "http://gpu07:8000/v1\n"}, "http://gpu07:8000/v1", ""},
		{"server did not start", map[string]string{"error-7": "start: the server exited\n"}, "", "endpoint.m: slurm server job 7 did not start its server: start: the server exited"},
		{"nothing within start_timeout", nil, "", "endpoint.m: slurm server job 7 wrote no URL to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			spec := &ServeSpec{Dir: dir}
			d := &Discovered{Servers: map[string]ServerRef{"m": {Job: "7", URLFile: spec.URLFile("7"), ErrorFile: spec.ErrorFile("7")}}, Poll: 10 * time.Millisecond}
			got, err := d.Acquire(context.Background(), ep)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("URL (-want +got):\n%s", diff)
			}
		})
	}
}
