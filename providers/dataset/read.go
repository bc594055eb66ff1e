package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// Record is one dataset record: field name → value. Values decoded from JSON keep JSON's
// types except numbers, which are json.Number (so ids and integers keep their exact text);
// CSV values are strings; Parquet values are JSON-like in the same way (see Read). Records
// of a directory or glob source also have "_file": the base name of their file without its
// extension.
type Record map[string]any

// Formats a dataset may have.
const (
	FormatJSONL   = "jsonl"
	FormatJSON    = "json"
	FormatCSV     = "csv"
	FormatParquet = "parquet"
)

// ctxCheckEvery is how many records Read reads between looks at its context.
const ctxCheckEvery = 256

// Read streams the records of a fetched dataset to fn, in file order, holding one record at a
// time. row counts records from 0 within each file. The format is ds.Format, or else told by
// each file's extension (.jsonl/.ndjson, .json, .csv, .parquet); ds may be nil. A directory or glob path
// is read file by file in the sorted order of their relative paths, each record getting
// "_file". Read stops at fn's first error and returns it unwrapped; other errors name the
// file (and line, where the format has lines).
//
// JSON Lines: one object per line; blank lines are skipped. JSON: a top-level array of
// objects, or a sequence of objects (JSON Lines saved as .json). CSV: encoding/csv with lazy
// quotes and a variable number of fields; CRLF or LF line ends, quoted newlines and a UTF-8
// byte order mark are handled. Column names come from the first row when ds.Header is true
// (the default when ds.Columns is empty); ds.Columns, when set, names the columns (overriding
// the header row's names); columns without a name are col0, col1, ... by position.
//
// Parquet: read row group by row group, a few rows at a time, so memory stays flat in the
// number of rows. A record holds the top-level columns, with JSON-like values: integers,
// finite floats and decimals are json.Number (NaN and ±Inf stay float32/float64); strings,
// enums and byte arrays are strings; booleans bool; nulls nil; timestamps RFC 3339 strings
// in UTC; dates "2006-01-02"; UUIDs "8-4-4-4-12" strings; lists and repeated fields []any;
// structs and maps map[string]any.
func Read(ctx context.Context, f plan.DatasetFile, ds *config.Dataset, fn func(row int, rec Record) error) error {
	if ds == nil {
		ds = &config.Dataset{}
	}
	files, multi, err := members(f.Path)
	if err != nil {
		return fmt.Errorf("read dataset %s: %w", f.Path, err)
	}
	for _, m := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		format, err := formatOf(ds, m.path)
		if err != nil {
			return err
		}
		emit := fn
		if multi {
			tag := strings.TrimSuffix(filepath.Base(m.path), filepath.Ext(m.path))
			emit = func(row int, rec Record) error {
				rec["_file"] = tag
				return fn(row, rec)
			}
		}
		if err := readFile(ctx, m.path, format, ds, emit); err != nil {
			return err
		}
	}
	return nil
}

// formatOf is ds.Format, or else the format told by the file's extension.
func formatOf(ds *config.Dataset, path string) (string, error) {
	if ds.Format != "" {
		switch f := strings.ToLower(ds.Format); f {
		case FormatJSONL, FormatJSON, FormatCSV, FormatParquet:
			return f, nil
		default:
			return "", fmt.Errorf("dataset %q: unknown format %q; use jsonl, json, csv or parquet", ds.Name, ds.Format)
		}
	}
	if f := dataExts[strings.ToLower(filepath.Ext(path))]; f != "" {
		return f, nil
	}
	return "", fmt.Errorf("dataset %q: cannot tell the format of %s from its extension; set format = \"jsonl\", \"json\", \"csv\" or \"parquet\" in the dataset block", ds.Name, path)
}

func readFile(ctx context.Context, path, format string, ds *config.Dataset, fn func(int, Record) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read dataset: %w", err)
	}
	defer fh.Close()
	if format == FormatParquet {
		r := reader{ctx: ctx, path: path, fn: fn}
		return r.parquet(fh)
	}
	br := bufio.NewReaderSize(fh, 64<<10)
	skipBOM(br)
	r := reader{ctx: ctx, path: path, br: br, fn: fn}
	switch format {
	case FormatJSONL:
		return r.jsonl()
	case FormatJSON:
		return r.json()
	case FormatCSV:
		return r.csv(ds)
	default:
		return fmt.Errorf("read dataset %s: unknown format %q", path, format)
	}
}

// skipBOM drops a UTF-8 byte order mark.
func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
}

// reader reads the records of one file.
type reader struct {
	ctx  context.Context
	path string
	br   *bufio.Reader
	fn   func(int, Record) error
	row  int
}

// emit passes one record on, looking at the context now and then.
func (r *reader) emit(rec Record) error {
	if r.row%ctxCheckEvery == 0 {
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	err := r.fn(r.row, rec)
	r.row++
	return err
}

func (r *reader) jsonl() error {
	var line []byte
	for lineNo := 1; ; lineNo++ {
		var err error
		line, err = readLine(r.br, line[:0])
		if err != nil && err != io.EOF {
			return fmt.Errorf("read dataset %s:%d: %w", r.path, lineNo, err)
		}
		if text := bytes.TrimSpace(line); len(text) > 0 {
			rec, derr := decodeObject(text)
			if derr != nil {
				return fmt.Errorf("read dataset %s:%d: %w", r.path, lineNo, derr)
			}
			if ferr := r.emit(rec); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine appends the next line of br to buf, without its line end; it returns io.EOF with
// the last line.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
		}
		return buf, err
	}
}

// decodeObject decodes one JSON object with numbers as json.Number.
func decodeObject(b []byte) (Record, error) {
	if b[0] != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", describeJSON(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return nil, err
	}
	if dec.InputOffset() != int64(len(b)) {
		return nil, errors.New("more than one JSON value on the line")
	}
	return rec, nil
}

// describeJSON names the kind of JSON value b starts with.
func describeJSON(b []byte) string {
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number or invalid JSON"
	}
}

func (r *reader) json() error {
	first, err := firstByte(r.br)
	if err == io.EOF {
		return nil // an empty file has no records
	}
	if err != nil {
		return fmt.Errorf("read dataset %s: %w", r.path, err)
	}
	dec := json.NewDecoder(r.br)
	dec.UseNumber()
	fail := func(err error) error {
		return fmt.Errorf("read dataset %s: record %d (near byte %d): %w", r.path, r.row, dec.InputOffset(), err)
	}
	switch first {
	case '[':
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
		for dec.More() {
			var rec Record
			if err := dec.Decode(&rec); err != nil {
				return fail(jsonTypeError(err))
			}
			if rec == nil {
				return fail(errors.New("want a JSON object, got null"))
			}
			if err := r.emit(rec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
		return nil
	case '{':
		for {
			var rec Record
			err := dec.Decode(&rec)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fail(jsonTypeError(err))
			}
			if err := r.emit(rec); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("read dataset %s: want a JSON array of objects, got %s", r.path, describeJSON([]byte{first}))
	}
}

// jsonTypeError rewords decoding a non-object into a Record.
func jsonTypeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return fmt.Errorf("want a JSON object, got a JSON %s", te.Value)
	}
	return err
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

func (r *reader) csv(ds *config.Dataset) error {
	cr := csv.NewReader(r.br)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	names := append([]string(nil), ds.Columns...)
	header := len(ds.Columns) == 0
	if ds.Header != nil {
		header = *ds.Header
	}
	fail := func(err error) error { return fmt.Errorf("read dataset %s: %w", r.path, err) }
	if header {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail(err)
		}
		if len(names) == 0 {
			names = append(names, row...)
		}
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail(err)
		}
		rec := make(Record, len(fields))
		for i, v := range fields {
			rec[columnName(names, i)] = v
		}
		if err := r.emit(rec); err != nil {
			return err
		}
	}
}

// columnName is the name of column i: names[i], or "col<i>" when that is missing or empty.
func columnName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return "col" + strconv.Itoa(i)
}
