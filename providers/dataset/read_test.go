package dataset

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// row is one record as Read passes it.
type row struct {
	Row int
	Rec Record
}

func readAll(t *testing.T, path string, ds *config.Dataset) ([]row, error) {
	t.Helper()
	var rows []row
	err := Read(context.Background(), plan.DatasetFile{Path: path}, ds, func(n int, rec Record) error {
		rows = append(rows, row{n, rec})
		return nil
	})
	return rows, err
}

func boolp(b bool) *bool { return &b }

func TestRead(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name    string
		file    string
		content string
		ds      config.Dataset
		want    []row
		wantErr string
	}{
		{
			name:    "jsonl with blank lines, CRLF and no final newline",
			file:    "qa.jsonl",
			content: "{\"q\":\"a\",\"n\":1}\r\n\r\n  \n{\"q\":\"b\",\"n\":12345678901234567890,\"l\":[1,\"x\"],\"o\":{\"k\":null}}",
			want: []row{
				{0, Record{"q": "a", "n": n("1")}},
				{1, Record{"q": "b", "n": n("12345678901234567890"), "l": []any{n("1"), "x"}, "o": map[string]any{"k": nil}}},
			},
		},
		{
			name:    "jsonl with BOM",
			file:    "qa.jsonl",
			content: "\xef\xbb\xbf{\"q\":\"a\"}\n",
			want:    []row{{0, Record{"q": "a"}}},
		},
		{
			name:    "jsonl syntax error names file and line",
			file:    "bad.jsonl",
			content: "{\"q\":1}\n\n{\"q\":\n",
			wantErr: "bad.jsonl:3:",
		},
		{
			name:    "jsonl line that is not an object",
			file:    "bad.jsonl",
			content: "{\"q\":1}\n[1,2]\n",
			wantErr: "bad.jsonl:2: want a JSON object, got an array",
		},
		{
			name:    "jsonl with two values on a line",
			file:    "bad.jsonl",
			content: "{\"q\":1} {\"q\":2}\n",
			wantErr: "bad.jsonl:1: more than one JSON value",
		},
		{
			name:    "json array",
			file:    "qa.json",
			content: "\xef\xbb\xbf [\n {\"q\": \"a\", \"n\": 2.5},\n {\"q\": \"b\"}\n]\n",
			want:    []row{{0, Record{"q": "a", "n": n("2.5")}}, {1, Record{"q": "b"}}},
		},
		{
			name:    "json empty array",
			file:    "qa.json",
			content: "[]",
		},
		{
			name:    "json holding JSON Lines",
			file:    "qa.json",
			content: "{\"q\":\"a\"}\n{\"q\":\"b\"}\n",
			want:    []row{{0, Record{"q": "a"}}, {1, Record{"q": "b"}}},
		},
		{
			name:    "json array of non-objects",
			file:    "qa.json",
			content: "[{\"q\":1}, 2]",
			wantErr: "record 1 (near byte",
		},
		{
			name:    "json top-level string",
			file:    "qa.json",
			content: "\"x\"",
			wantErr: "want a JSON array of objects, got a string",
		},
		{
			name:    "format overrides the extension",
			file:    "qa.txt",
			content: "{\"q\":\"a\"}\n",
			ds:      config.Dataset{Format: "JSONL"},
			want:    []row{{0, Record{"q": "a"}}},
		},
		{
			name:    "csv header by default, CRLF, quoted newline and BOM",
			file:    "qa.csv",
			content: "\xef\xbb\xbfquestion,answer\r\n\"two\r\nlines, and \"\"quotes\"\"\",B\r\nplain,C\r\n",
			want: []row{
				{0, Record{"question": "two\nlines, and \"quotes\"", "answer": "B"}},
				{1, Record{"question": "plain", "answer": "C"}},
			},
		},
		{
			name:    "csv columns without header, ragged rows",
			file:    "mmlu_test.csv",
			content: "What?,1,2,3,4,A\nWhy?,x,y\n\nlong,1,2,3,4,B,extra\n",
			ds:      config.Dataset{Columns: []string{"question", "A", "B", "C", "D", "answer"}},
			want: []row{
				{0, Record{"question": "What?", "A": "1", "B": "2", "C": "3", "D": "4", "answer": "A"}},
				{1, Record{"question": "Why?", "A": "x", "B": "y"}},
				{2, Record{"question": "long", "A": "1", "B": "2", "C": "3", "D": "4", "answer": "B", "col6": "extra"}},
			},
		},
		{
			name:    "csv header false without columns",
			file:    "x.csv",
			content: "a,b\nc,d\n",
			ds:      config.Dataset{Header: boolp(false)},
			want:    []row{{0, Record{"col0": "a", "col1": "b"}}, {1, Record{"col0": "c", "col1": "d"}}},
		},
		{
			name:    "csv header true with columns renames",
			file:    "x.csv",
			content: "a,,c\n1,2,3\n",
			ds:      config.Dataset{Header: boolp(true), Columns: []string{"x"}},
			want:    []row{{0, Record{"x": "1", "col1": "2", "col2": "3"}}},
		},
		{
			name:    "csv lazy quotes",
			file:    "x.csv",
			content: "q\nsay \"hi\" now\n",
			want:    []row{{0, Record{"q": "say \"hi\" now"}}},
		},
		{
			name:    "unknown extension",
			file:    "x.txt",
			content: "x",
			wantErr: "cannot tell the format",
		},
		{
			name:    "unknown format",
			file:    "x.csv",
			ds:      config.Dataset{Format: "xml"},
			wantErr: `unknown format "xml"`,
		},
		{
			name:    "parquet that is not Parquet",
			file:    "x.parquet",
			content: "PAR1",
			wantErr: "x.parquet: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.ds.Name = "d"
			got, err := readAll(t, p, &tt.ds)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadDirectoryAndGlob(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"mmlu/b_test.csv":   "x,1\ny,2\n",
		"mmlu/a_test.csv":   "z,3\n",
		"mmlu/LICENSE":      "not data",
		"mixed/1.jsonl":     "{\"k\":\"j\"}\n",
		"mixed/2.csv":       "k\nc\n",
		"mixed/notes.txt":   "skipped",
		"mixed/sub/3.jsonl": "{\"k\":\"sub\"}\n",
	})
	tests := []struct {
		name string
		path string
		ds   config.Dataset
		want []row
	}{
		{
			name: "directory with columns",
			path: filepath.Join(dir, "mmlu"),
			ds:   config.Dataset{Columns: []string{"q", "n"}},
			want: []row{
				{0, Record{"q": "z", "n": "3", "_file": "a_test"}},
				{0, Record{"q": "x", "n": "1", "_file": "b_test"}},
				{1, Record{"q": "y", "n": "2", "_file": "b_test"}},
			},
		},
		{
			name: "directory of mixed formats",
			path: filepath.Join(dir, "mixed"),
			want: []row{
				{0, Record{"k": "j", "_file": "1"}},
				{0, Record{"k": "c", "_file": "2"}},
			},
		},
		{
			name: "glob",
			path: filepath.Join(dir, "mixed", "*", "*.jsonl"),
			want: []row{{0, Record{"k": "sub", "_file": "3"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.path, &tt.ds)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadStops(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.jsonl")
	if err := os.WriteFile(p, []byte(strings.Repeat("{\"a\":1}\n", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	seen := 0
	err := Read(context.Background(), plan.DatasetFile{Path: p}, nil, func(int, Record) error {
		seen++
		if seen == 3 {
			return stop
		}
		return nil
	})
	if err != stop || seen != 3 {
		t.Errorf("Read = %v after %d records; want fn's own error after 3", err, seen)
	}

	ctx, cancel := context.WithCancel(context.Background())
	seen = 0
	err = Read(ctx, plan.DatasetFile{Path: p}, nil, func(int, Record) error {
		seen++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || seen > ctxCheckEvery+1 {
		t.Errorf("Read = %v after %d records; want context.Canceled within %d records", err, seen, ctxCheckEvery+1)
	}
}

// BenchmarkReadJSONL reads a generated 100k-line file; allocations per op stay proportional
// to the records (about one map per record), and the live heap does not hold them.
func BenchmarkReadJSONL(b *testing.B) {
	p := filepath.Join(b.TempDir(), "big.jsonl")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range 100_000 {
		fmt.Fprintf(w, "{\"id\":%d,\"question\":\"What is %d + %d?\",\"answer\":\"#### %d\"}\n", i, i, i, 2*i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := Read(context.Background(), plan.DatasetFile{Path: p}, nil, func(int, Record) error {
			n++
			return nil
		})
		if err != nil || n != 100_000 {
			b.Fatalf("Read = %v after %d records", err, n)
		}
	}
}
