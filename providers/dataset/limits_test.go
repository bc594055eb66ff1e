package dataset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// TestReadRecordTooLarge: a record past MaxRecordBytes is an error naming the file and
// where the record starts, read in bounded memory.
func TestReadRecordTooLarge(t *testing.T) {
	old := MaxRecordBytes
	MaxRecordBytes = 1 << 10
	t.Cleanup(func() { MaxRecordBytes = old })
	huge := strings.Repeat("x", 256<<10) // past the limit and the read buffer
	tests := []struct {
		name, file, content, want string
	}{
		{"jsonl line", "d.jsonl", `{"a":"1"}` + "\n" + `{"a":"` + huge + `"}` + "\n", "d.jsonl: line 2 is larger than"},
		{"jsonl no line end", "d.jsonl", huge, "d.jsonl: line 1 is larger than"},
		{"csv record", "d.csv", "a\n1\n\"" + huge + "\"\n", "d.csv: the record at line 3 is larger than"},
		{"json array", "d.json", `[{"a":"1"},{"a":"` + huge + `"}]`, "d.json: record 1 (from byte"},
		{"json sequence", "d.json", `{"a":"` + huge + `"}`, "d.json: record 0 (from byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readAll(t, path, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestReadRecordsUnderLimit: many records that together pass the limit read fine.
func TestReadRecordsUnderLimit(t *testing.T) {
	old := MaxRecordBytes
	MaxRecordBytes = 1 << 10
	t.Cleanup(func() { MaxRecordBytes = old })
	line := `{"a":"` + strings.Repeat("y", 500) + `"}`
	tests := []struct{ file, content string }{
		{"d.jsonl", strings.Repeat(line+"\n", 1000)},
		{"d.json", "[" + strings.Repeat(line+",", 999) + line + "]"},
		{"d.csv", "a\n" + strings.Repeat(strings.Repeat("y", 500)+"\n", 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			rows, err := readAll(t, path, nil)
			if err != nil || len(rows) != 1000 {
				t.Fatalf("Read = %d rows, %v; want 1000 rows", len(rows), err)
			}
		})
	}
}

// TestReadCSVHeaderRowAsData: header = false on a file whose first row names the columns
// is an error that says to set header = true, not a sample made of column names.
func TestReadCSVHeaderRowAsData(t *testing.T) {
	cols := []string{"question", "A", "B", "C", "D", "answer"}
	tests := []struct {
		name, content, want string
	}{
		{"same order", "question,A,B,C,D,answer\nq,1,2,3,4,A\n", "line 1 (question,A,B,C,D,answer) is a header row"},
		{"other order and case", "Question,answer,a,b,c,d\nq,A,1,2,3,4\n", "set header = true"},
		{"no header row", "q,1,2,3,4,A\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.csv")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readAll(t, path, &config.Dataset{Columns: cols, Header: boolp(false)})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.want == "" && err != nil || !strings.Contains(got, tt.want) {
				t.Fatalf("Read error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestReadDigest: the digest is the provider's digest of the bytes read, also when fn
// stops early.
func TestReadDigest(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.jsonl": `{"id":"1"}` + "\n" + `{"id":"2"}` + "\n\n  ",
		"b.csv":   "id\n3\n4\n",
		"c.json":  `[{"id":"5"}] `,
	})
	tests := []struct {
		name, path string
		stopAfter  int // records read before ErrSkipRest; 0 reads all
	}{
		{"jsonl", filepath.Join(dir, "a.jsonl"), 0},
		{"jsonl stopped", filepath.Join(dir, "a.jsonl"), 1},
		{"csv", filepath.Join(dir, "b.csv"), 0},
		{"json", filepath.Join(dir, "c.json"), 0},
		{"directory", dir, 0},
		{"directory stopped", dir, 1},
		{"glob", filepath.Join(dir, "*.csv"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := hashLocal(context.Background(), tt.path, "", "", plan.NopProgress{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			got, err := ReadDigest(context.Background(), plan.DatasetFile{Path: tt.path}, nil, func(int, Record) error {
				n++
				if n == tt.stopAfter {
					return ErrSkipRest
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.SHA256, got); diff != "" {
				t.Errorf("ReadDigest (-want +got):\n%s", diff)
			}
		})
	}
}
