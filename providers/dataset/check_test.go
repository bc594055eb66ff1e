package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	data := []byte(`{"q":"1+1","a":"2"}` + "\n")
	if err := os.WriteFile(filepath.Join(dir, "qa.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	good := hex.EncodeToString(sum[:])
	bad := hex.EncodeToString(make([]byte, 32))
	cfg := &config.Config{Dir: dir, Settings: config.Settings{CacheDir: filepath.Join(dir, ".cache")}}
	tests := []struct {
		ds   *config.Dataset
		want plan.Check
	}{
		{&config.Dataset{Name: "ok", Source: "qa.jsonl", SHA256: good},
			plan.Check{Mark: plan.MarkReady, Detail: "local file qa.jsonl, 20 B"}},
		{&config.Dataset{Name: "missing", Source: "gone.jsonl"},
			plan.Check{Mark: plan.MarkNotReady, Detail: "gone.jsonl not found", Fix: "put the file there, or fix source"}},
		{&config.Dataset{Name: "changed", Source: "qa.jsonl", SHA256: bad},
			plan.Check{Mark: plan.MarkNotReady, Detail: "qa.jsonl does not match the declared sha256", Fix: "restore the original file, or update sha256 if the change is intended (its runs then re-run)"}},
		{&config.Dataset{Name: "remote", Source: "https://example.com/qa.jsonl", SHA256: good},
			plan.Check{Mark: plan.MarkInfo, Detail: "not cached yet: apply downloads it ('evalplan datasets preload' fetches it now)"}},
	}
	for _, tt := range tests {
		t.Run(tt.ds.Name, func(t *testing.T) {
			p := &Provider{Dir: dir}
			got := p.Check(context.Background(), cfg, &plan.Needs{Datasets: []*config.Dataset{tt.ds}})
			want := tt.want
			want.Section, want.Name = plan.SectionDatasets, "dataset."+tt.ds.Name
			if diff := cmp.Diff([]plan.Check{want}, got); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}
