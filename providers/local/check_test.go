package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/zclconf/go-cty/cty"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	block := func(path string) *config.Exporter {
		return &config.Exporter{Type: "local", Name: "all", Attrs: map[string]cty.Value{"path": cty.StringVal(path)}}
	}
	tests := []struct {
		name string
		x    *config.Exporter
		want []plan.Check
	}{
		{"default path, not created yet", &config.Exporter{Type: "local", Name: "all"},
			[]plan.Check{{Mark: plan.MarkReady, Detail: "writes output/results/results.jsonl and results.csv"}}},
		{"under a file", block("file/results"),
			[]plan.Check{{Mark: plan.MarkNotReady, Fix: "fix path in the exporter block, or the permissions of its directory"}}},
		{"another exporter type", &config.Exporter{Type: "mlflow", Name: "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Exporter{ConfigDir: dir, OutputDir: filepath.Join(dir, "output")}
			got := e.Check(context.Background(), &config.Config{}, &plan.Needs{Exporters: []*config.Exporter{tt.x}})
			for i := range tt.want {
				tt.want[i].Section, tt.want[i].Name = plan.SectionExporters, "exporter.local.all"
			}
			var opts []cmp.Option
			if len(tt.want) > 0 && tt.want[0].Mark == plan.MarkNotReady {
				opts = append(opts, cmpopts.IgnoreFields(plan.Check{}, "Detail"))
			}
			if diff := cmp.Diff(tt.want, got, opts...); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Check left files behind: %v", entries)
	}
}
