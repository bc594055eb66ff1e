package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// mmluRow is an MMLU-shaped row for writing test files.
type mmluRow struct {
	Question string   `parquet:"question"`
	Subject  *string  `parquet:"subject,optional"`
	Choices  []string `parquet:"choices,list"`
	Answer   int64    `parquet:"answer"`
}

// writeParquet writes rows to path, rowsPerGroup rows to a row group.
func writeParquet[T any](t *testing.T, path string, rows []T, rowsPerGroup int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, parquet.MaxRowsPerRowGroup(rowsPerGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReadParquet reads a file written in the test: strings, int64, a list of strings and a
// null, across several row groups, by extension and by declared format.
func TestReadParquet(t *testing.T) {
	dir := t.TempDir()
	bio := "high_school_biology"
	rows := []mmluRow{
		{"What is 2 + 2?", nil, []string{"3", "4", "5", "22"}, 1},
		{"Which gas do plants take in?", &bio, []string{"oxygen", "carbon dioxide"}, 1},
		{"Empty choices", &bio, nil, -3},
	}
	n := func(s string) json.Number { return json.Number(s) }
	want := []row{
		{0, Record{"question": "What is 2 + 2?", "subject": nil, "choices": []any{"3", "4", "5", "22"}, "answer": n("1")}},
		{1, Record{"question": "Which gas do plants take in?", "subject": bio, "choices": []any{"oxygen", "carbon dioxide"}, "answer": n("1")}},
		{2, Record{"question": "Empty choices", "subject": bio, "choices": []any{}, "answer": n("-3")}},
	}
	byExt := filepath.Join(dir, "test.parquet")
	writeParquet(t, byExt, rows, 2)
	upper := filepath.Join(dir, "TEST.PARQUET")
	writeParquet(t, upper, rows, 3)
	declared := filepath.Join(dir, "test.bin")
	writeParquet(t, declared, rows, 1)
	for _, tt := range []struct {
		path string
		ds   *config.Dataset
	}{
		{byExt, nil},
		{upper, nil},
		{declared, &config.Dataset{Name: "d", Format: "Parquet"}},
	} {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			got, err := readAll(t, tt.path, tt.ds)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadParquetFixture reads testdata/mmlu_sample.parquet, written by pyarrow 26 (the
// writer of Hugging Face's Parquet files) with two rows to a row group and made-up items:
// every type a dataset is likely to hold, nulls at each level.
func TestReadParquetFixture(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	got, err := readAll(t, filepath.Join("testdata", "mmlu_sample.parquet"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{0, Record{
			"question": "What is 2 + 2?", "subject": "elementary_mathematics",
			"choices": []any{"3", "4", "5", "22"}, "answer": n("1"), "score": n("0.5"), "ok": true,
			"meta": map[string]any{"id": n("7"), "tags": []any{"a"}},
			"when": "2024-01-02T03:04:05.678Z", "day": "2024-02-29", "price": n("12.34"),
			"big": n("1234567890123456789012345678.0123456789"), "price32": n("123.45"),
			"attrs": map[string]any{"k": n("1")}, "small": n("1"), "f32": n("0.1"),
		}},
		{1, Record{
			"question": "Which gas do plants take in?", "subject": "high_school_biology",
			"choices": []any{"oxygen", "carbon dioxide", "nitrogen", "helium"}, "answer": n("1"),
			"score": nil, "ok": false, "meta": nil, "when": nil, "day": nil, "price": n("-0.05"),
			"big": n("-0.0000000001"), "price32": n("-1.50"),
			"attrs": nil, "small": n("-2"), "f32": n("1.5"),
		}},
		{2, Record{
			"question": "Ünïcödé — «quotes» 答案？", "subject": nil, "choices": []any{}, "answer": nil,
			"score": n("1e+21"), "ok": nil, "meta": map[string]any{"id": nil, "tags": nil},
			"when": "1970-01-01T00:00:00Z", "day": "1969-12-31", "price": nil, "big": nil, "price32": nil,
			"attrs": map[string]any{}, "small": n("3"), "f32": "NaN",
		}},
	}
	// NaN is not equal to itself: compare its text.
	if f, ok := got[2].Rec["f32"].(float32); ok {
		got[2].Rec["f32"] = fmt.Sprint(f)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

// TestReadParquetBatches reads more rows than one batch across uneven row groups and keeps
// every record: values must not share buffers with later rows.
func TestReadParquetBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.parquet")
	const total = 3*parquetBatch + 7
	rows := make([]mmluRow, total)
	for i := range rows {
		rows[i] = mmluRow{Question: fmt.Sprintf("question %d", i), Choices: []string{fmt.Sprint(i), "x"}, Answer: int64(i)}
	}
	writeParquet(t, path, rows, parquetBatch+5)
	got, err := readAll(t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != total {
		t.Fatalf("read %d records, want %d", len(got), total)
	}
	for i, r := range got {
		want := row{i, Record{"question": fmt.Sprintf("question %d", i), "subject": nil,
			"choices": []any{fmt.Sprint(i), "x"}, "answer": json.Number(fmt.Sprint(i))}}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Fatalf("record %d mismatch (-want +got):\n%s", i, diff)
		}
	}
}

// TestReadParquetDirectory reads a directory of Parquet and JSON Lines files with "_file".
func TestReadParquetDirectory(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "a_test.parquet"), []mmluRow{{"q", nil, []string{"x"}, 0}}, 10)
	writeFiles(t, dir, map[string]string{"b.jsonl": "{\"question\":\"j\"}\n"})
	got, err := readAll(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{0, Record{"question": "q", "subject": nil, "choices": []any{"x"}, "answer": json.Number("0"), "_file": "a_test"}},
		{0, Record{"question": "j", "_file": "b"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}

// TestReadParquetErrors checks bad files, a callback's error and cancellation.
func TestReadParquetErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty.parquet":     "",
		"magic.parquet":     "PAR1",
		"truncated.parquet": "PAR1\x00\x00\x00\x00PAR1",
		"text.parquet":      "{\"q\":1}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readAll(t, p, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "read dataset "+p+": ") {
				t.Errorf("err = %v, want one naming the file", err)
			}
		})
	}

	path := filepath.Join(dir, "ok.parquet")
	writeParquet(t, path, make([]mmluRow, 10), 3)
	stop := errors.New("stop")
	calls := 0
	err := Read(context.Background(), plan.DatasetFile{Path: path}, nil, func(int, Record) error {
		calls++
		if calls == 4 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 4 {
		t.Errorf("callback error: err = %v after %d calls, want %v after 4", err, calls, stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Read(ctx, plan.DatasetFile{Path: path}, nil, func(int, Record) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
}

// TestReadParquetCorrupt flips bytes all through the fixture: Read must return an error or
// records, never panic.
func TestReadParquetCorrupt(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join("testdata", "mmlu_sample.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "corrupt.parquet")
	for i := 0; i < len(orig); i += 11 {
		b := append([]byte(nil), orig...)
		b[i] ^= 0xff
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("byte %d flipped: panic: %v", i, p)
				}
			}()
			_, _ = readAll(t, path, nil)
		}()
	}
}
