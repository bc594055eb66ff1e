package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveConfinesToOutputDir(t *testing.T) {
	cfgDir := t.TempDir()
	out := filepath.Join(cfgDir, "output")
	victim := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(out, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, recorded, want, wantErr string
	}{
		{name: "relative", recorded: "output/a", want: filepath.Join(out, "a")},
		{name: "not yet existing", recorded: "output/b/c", want: filepath.Join(out, "b", "c")},
		{name: "absolute inside", recorded: filepath.Join(out, "a"), want: filepath.Join(out, "a")},
		{name: "climbs out", recorded: "../victim", wantErr: "outside the output directory"},
		{name: "climbs out through output", recorded: "output/../../victim", wantErr: "outside the output directory"},
		{name: "config dir", recorded: ".", wantErr: "outside the output directory"},
		{name: "output dir itself", recorded: "output", wantErr: "outside the output directory"},
		{name: "absolute outside", recorded: victim, wantErr: "outside the output directory"},
		{name: "symlink out", recorded: "output/link", wantErr: "outside the output directory"},
		{name: "below symlink out", recorded: "output/link/x", wantErr: "outside the output directory"},
		{name: "empty", recorded: "", wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(cfgDir, out, tt.recorded)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve(%q) = %q, %v; want error containing %q", tt.recorded, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q) (-want +got):\n%s", tt.recorded, diff)
			}
		})
	}
}
