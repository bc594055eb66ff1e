package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// listSHA is the documented identity of a directory or glob: the sha256 of sha256sum-style
// lines sorted by relative path.
func listSHA(lines ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(lines, "")))
	return hex.EncodeToString(sum[:])
}

func TestFetchLocal(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"qa.jsonl":                 "{\"q\":\"1\"}\n",
		"mmlu/b_test.csv":          "q,A\n",
		"mmlu/a_test.csv":          "p,B\n",
		"mmlu/README.md":           "not data",
		"mmlu/.hidden.csv":         "x",
		"nested/one/x.jsonl":       "{}\n",
		"nested/two/x.jsonl":       "{\"a\":1}\n",
		"nested/two/skip.txt":      "",
		"nested/three/notdata.txt": "",
	}
	writeFiles(t, dir, files)
	sha := func(name string) string { return shaOf([]byte(files[name])) }
	tests := []struct {
		name    string
		ds      config.Dataset
		want    plan.DatasetFile
		wantErr string
	}{
		{name: "relative file", ds: config.Dataset{Source: "qa.jsonl"},
			want: plan.DatasetFile{Path: filepath.Join(dir, "qa.jsonl"), SHA256: sha("qa.jsonl"), Size: 10}},
		{name: "declared sha256 in upper case", ds: config.Dataset{Source: "qa.jsonl", SHA256: strings.ToUpper(sha("qa.jsonl"))},
			want: plan.DatasetFile{Path: filepath.Join(dir, "qa.jsonl"), SHA256: sha("qa.jsonl"), Size: 10}},
		{name: "file URL", ds: config.Dataset{Source: "file://" + filepath.ToSlash(filepath.Join(dir, "qa.jsonl"))},
			want: plan.DatasetFile{Path: filepath.Join(dir, "qa.jsonl"), SHA256: sha("qa.jsonl"), Size: 10}},
		{name: "directory takes data files only", ds: config.Dataset{Source: "mmlu"},
			want: plan.DatasetFile{Path: filepath.Join(dir, "mmlu"), Size: 8, SHA256: listSHA(
				sha("mmlu/a_test.csv")+"  a_test.csv\n",
				sha("mmlu/b_test.csv")+"  b_test.csv\n")}},
		{name: "glob relative to its fixed prefix", ds: config.Dataset{Source: "nested/*/*.jsonl"},
			want: plan.DatasetFile{Path: filepath.Join(dir, "nested", "*", "*.jsonl"), Size: 11, SHA256: listSHA(
				sha("nested/one/x.jsonl")+"  one/x.jsonl\n",
				sha("nested/two/x.jsonl")+"  two/x.jsonl\n")}},
		{name: "glob matching nothing", ds: config.Dataset{Source: "nested/*/*.parquet"}, wantErr: "no data files"},
		{name: "missing file", ds: config.Dataset{Source: "nope.jsonl"}, wantErr: "does not exist"},
		{name: "bad declared sha256", ds: config.Dataset{Source: "qa.jsonl", SHA256: "abc"}, wantErr: "not 64 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Provider{Dir: dir}
			tt.ds.Name = "d"
			cache := t.TempDir()
			got, err := p.Fetch(context.Background(), &tt.ds, cache, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if _, ok := p.Cached(&tt.ds, cache); ok {
					t.Error("Cached = true for a source Fetch fails on")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fetch mismatch (-want +got):\n%s", diff)
			}
			// Again, through the hash memo, and through Cached: the same answer.
			for i := range 2 {
				again, ok := p.Cached(&tt.ds, cache)
				if !ok {
					t.Fatalf("Cached #%d = false", i)
				}
				if diff := cmp.Diff(tt.want, again); diff != "" {
					t.Errorf("Cached #%d mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestFetchLocalMismatch(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"qa.jsonl": "{}\n"})
	wrong := strings.Repeat("ab", 32)
	ds := &config.Dataset{Name: "mine", Source: "qa.jsonl", SHA256: wrong}
	ds.DeclRange.Filename = "eval.hcl"
	ds.DeclRange.Start.Line = 7
	p := &Provider{Dir: dir}
	_, err := p.Fetch(context.Background(), ds, t.TempDir(), nil)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MismatchError", err)
	}
	want := &MismatchError{Dataset: "mine", Source: filepath.Join(dir, "qa.jsonl"), Expected: wrong, Got: shaOf([]byte("{}\n")), Decl: "eval.hcl:7"}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "update sha256 in eval.hcl:7") {
		t.Errorf("error %q does not say what to do", err)
	}
	if _, ok := p.Cached(ds, ""); ok {
		t.Error("Cached = true for a mismatching file")
	}
}
