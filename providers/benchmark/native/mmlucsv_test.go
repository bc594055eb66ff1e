package native

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
)

// TestMMLUCSVHeader: an MMLU CSV is read right under each header setting, or rejected with
// an error that names the file and says what to set; never scored from misread columns.
func TestMMLUCSVHeader(t *testing.T) {
	const (
		plain     = "q1,a,b,c,d,B\n"
		withHead  = "question,A,B,C,D,answer\n" + plain
		reordered = "question,answer,A,B,C,D\nq1,B,a,b,c,d\n"
	)
	f, tr := boolp(false), boolp(true)
	tests := []struct {
		name    string
		content string
		ds      *config.Dataset
		want    string // a substring of the error; "" for a complete run with target B
	}{
		{"no block, no header row", plain, nil, ""},
		{"header false, no header row", plain, &config.Dataset{Header: f}, ""},
		{"header true, header row", withHead, &config.Dataset{Header: tr}, ""},
		{"no block, header row", withHead, nil, "PATH: line 1 (question,A,B,C,D,answer) is a header row, but the dataset is read with header = false; set header = true"},
		{"header false, header row", withHead, &config.Dataset{Header: f}, "set header = true"},
		{"no block, reordered header row", reordered, nil, "PATH: line 1 (question,answer,A,B,C,D) is a header row"},
		{"unquoted comma", "q1, more,a,b,c,d,B\n", nil, "dataset PATH row 0: record has more than 6 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x_test.csv")
			write(t, path, tt.content)
			spec := taskSpec(filepath.Join(dir, "run"), "native.mmlu", path)
			spec.DatasetConfig = tt.ds
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer {
				return &scriptDoer{rules: []rule{{"q1", "Answer: B"}}}
			}, Now: fixedClock}
			out, err := r.Run(context.Background(), spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if out.Status != state.StatusComplete || out.Result.N != 1 || out.Result.Score != 1 {
					t.Fatalf("outcome %+v, want complete with 1 sample scored 1", out)
				}
				return
			}
			want := strings.ReplaceAll(tt.want, "PATH", path)
			if diff := cmp.Diff(state.StatusFailed, out.Status); diff != "" || !strings.Contains(out.Error, want) {
				t.Errorf("outcome %s: %s\nwant failed with %q", out.Status, out.Error, want)
			}
		})
	}
}

func boolp(b bool) *bool { return &b }
