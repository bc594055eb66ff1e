package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
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
//
// A record larger than MaxRecordBytes (a JSON Lines line, a CSV record, one object of a JSON
// file) is an error that names the file and where the record starts: memory stays bounded
// by that limit and the read buffer, however large the file.
//
// fn may return ErrSkipRest to stop reading records without an error.
func Read(ctx context.Context, f plan.DatasetFile, ds *config.Dataset, fn func(row int, rec Record) error) error {
	_, err := read(ctx, f, ds, fn, nil)
	return err
}

// ErrSkipRest, returned by Read's or ReadDigest's fn, stops the reading of records; the read
// then returns nil (ReadDigest still hashes the rest of the bytes, without parsing them).
var ErrSkipRest = errors.New("skip the rest of the dataset")

// ReadDigest is Read that also returns the sha256 of the bytes it read, computed while
// reading them, as the dataset provider computes it: the hex sha256 of a single file; for
// a directory or glob, the sha256 of the list of "<sha256>  <relative path>\n" lines of its
// files. Records are parsed from exactly the bytes hashed, so a file that changes while it
// is read yields the digest of what was parsed (or an error), never old records under a
// new digest. A Parquet file, read at random offsets, is hashed before and after reading;
// a change in between is an error.
func ReadDigest(ctx context.Context, f plan.DatasetFile, ds *config.Dataset, fn func(row int, rec Record) error) (string, error) {
	var list strings.Builder
	multi, err := read(ctx, f, ds, fn, func(rel, sum string) { fmt.Fprintf(&list, "%s  %s\n", sum, rel) })
	if err != nil {
		return "", err
	}
	if !multi {
		sum, _, _ := strings.Cut(list.String(), " ")
		return sum, nil
	}
	sum := sha256.Sum256([]byte(list.String()))
	return hex.EncodeToString(sum[:]), nil
}

// read reads the records of f; with hashed set, it hashes every file's bytes and passes
// each file's digest to hashed. multi reports a directory or glob.
func read(ctx context.Context, f plan.DatasetFile, ds *config.Dataset, fn func(row int, rec Record) error, hashed func(rel, sum string)) (multi bool, err error) {
	if ds == nil {
		ds = &config.Dataset{}
	}
	files, multi, err := members(f.Path)
	if err != nil {
		return multi, fmt.Errorf("read dataset %s: %w", f.Path, err)
	}
	skipping := false
	for _, m := range files {
		if err := ctx.Err(); err != nil {
			return multi, err
		}
		if skipping {
			if hashed == nil {
				return multi, nil
			}
			sum, err := hashFile(ctx, m.path, "", plan.NopProgress{})
			if err != nil {
				return multi, fmt.Errorf("read dataset: %w", err)
			}
			hashed(m.rel, sum)
			continue
		}
		format, err := formatOf(ds, m.path)
		if err != nil {
			return multi, err
		}
		emit := fn
		if multi {
			tag := strings.TrimSuffix(filepath.Base(m.path), filepath.Ext(m.path))
			emit = func(row int, rec Record) error {
				rec["_file"] = tag
				return fn(row, rec)
			}
		}
		sum, err := readFile(ctx, m.path, format, ds, emit, hashed != nil)
		if errors.Is(err, ErrSkipRest) {
			skipping, err = true, nil
		}
		if err != nil {
			return multi, err
		}
		if hashed != nil {
			hashed(m.rel, sum)
		}
	}
	return multi, nil
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

// readFile reads the records of one file; with digest set it returns the sha256 of the
// file's bytes, hashed as they are read (the bytes after the last record are hashed unread).
func readFile(ctx context.Context, path, format string, ds *config.Dataset, fn func(int, Record) error, digest bool) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read dataset: %w", err)
	}
	defer fh.Close()
	if format == FormatParquet {
		return readParquet(ctx, fh, path, fn, digest)
	}
	h := sha256.New()
	var src io.Reader = fh
	if digest {
		src = io.TeeReader(fh, h)
	}
	lim := &recordLimit{r: src}
	lim.reset()
	br := bufio.NewReaderSize(lim, readBuffer)
	skipBOM(br)
	r := reader{ctx: ctx, path: path, br: br, lim: lim, fn: fn}
	switch format {
	case FormatJSONL:
		err = r.jsonl()
	case FormatJSON:
		err = r.json()
	case FormatCSV:
		err = r.csv(ds)
	default:
		err = fmt.Errorf("read dataset %s: unknown format %q", path, format)
	}
	if err != nil && !errors.Is(err, ErrSkipRest) || !digest {
		return "", err
	}
	if _, cerr := io.Copy(io.Discard, src); cerr != nil { // the bytes no record needed
		return "", fmt.Errorf("read dataset %s: %w", path, cerr)
	}
	return hex.EncodeToString(h.Sum(nil)), err
}

// readParquet reads a Parquet file; with digest set it hashes the file before and after.
func readParquet(ctx context.Context, fh *os.File, path string, fn func(int, Record) error, digest bool) (string, error) {
	before := ""
	if digest {
		var err error
		if before, err = hashAt(fh, path); err != nil {
			return "", err
		}
	}
	r := reader{ctx: ctx, path: path, fn: fn}
	err := r.parquet(fh)
	if err != nil && !errors.Is(err, ErrSkipRest) || !digest {
		return "", err
	}
	after, herr := hashAt(fh, path)
	if herr != nil {
		return "", herr
	}
	if after != before {
		return "", fmt.Errorf("read dataset %s: the file changed while it was read (sha256 %s before, %s after); read it again once nothing writes it", path, before, after)
	}
	return before, err
}

// hashAt is the hex sha256 of the whole of an open file.
func hashAt(fh *os.File, path string) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(fh, 0, 1<<62)); err != nil {
		return "", fmt.Errorf("hash dataset %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readBuffer is the size of the buffer records are read through.
const readBuffer = 64 << 10

// MaxRecordBytes bounds one record of a dataset: a JSON Lines line, a CSV record or one
// object of a JSON file. A variable so tests can lower it.
var MaxRecordBytes int64 = 64 << 20

// errRecordTooLarge is what a recordLimit returns past its limit.
var errRecordTooLarge = errors.New("record too large")

// recordLimit passes reads through until MaxRecordBytes (plus the read buffer) have been
// read since the last reset, then fails with errRecordTooLarge. Readers reset it after
// each record, so no record can make the read buffers grow past the limit.
type recordLimit struct {
	r    io.Reader
	n    int64 // bytes read
	stop int64 // n at which reads fail
}

func (l *recordLimit) reset() { l.stop = l.n + MaxRecordBytes + readBuffer }

func (l *recordLimit) Read(b []byte) (int, error) {
	if l.n >= l.stop {
		return 0, errRecordTooLarge
	}
	if rest := l.stop - l.n; int64(len(b)) > rest {
		b = b[:rest]
	}
	n, err := l.r.Read(b)
	l.n += int64(n)
	return n, err
}

// tooLarge rewords errRecordTooLarge for the user: where names the record's place.
func tooLarge(path, where string) error {
	return fmt.Errorf("read dataset %s: %s is larger than %d MiB; a record that large is not a benchmark sample: check the file's format (format = ...) and line ends", path, where, MaxRecordBytes>>20)
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
	lim  *recordLimit // nil for Parquet
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
	if r.lim != nil {
		r.lim.reset()
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
		if errors.Is(err, errRecordTooLarge) {
			return tooLarge(r.path, fmt.Sprintf("line %d", lineNo))
		}
		r.lim.reset()
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
		if errors.Is(err, errRecordTooLarge) {
			return tooLarge(r.path, fmt.Sprintf("record %d (from byte %d)", r.row, dec.InputOffset()))
		}
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
	line := 1 // where the next record starts
	fail := func(err error) error {
		if errors.Is(err, errRecordTooLarge) {
			return tooLarge(r.path, fmt.Sprintf("the record at line %d", line))
		}
		return fmt.Errorf("read dataset %s: %w", r.path, err)
	}
	next := func() ([]string, error) {
		fields, err := cr.Read()
		if err == nil {
			l, _ := cr.FieldPos(len(fields) - 1)
			line = l + 1
			r.lim.reset()
		}
		return fields, err
	}
	if header {
		row, err := next()
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
	for first := !header; ; first = false {
		fields, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail(err)
		}
		if first && len(names) > 0 && isHeaderRow(fields, names) {
			return fmt.Errorf("read dataset %s: line 1 (%s) is a header row, but the dataset is read with header = false; set header = true in the dataset block (columns, if set, then rename its columns)",
				r.path, strings.Join(fields, ","))
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

// isHeaderRow reports a row that holds the column names, in any order and case: a header
// row read as data.
func isHeaderRow(fields, names []string) bool {
	if len(fields) != len(names) {
		return false
	}
	want := map[string]int{}
	for _, n := range names {
		want[strings.ToLower(strings.TrimSpace(n))]++
	}
	for _, f := range fields {
		k := strings.ToLower(strings.TrimSpace(f))
		if want[k] == 0 {
			return false
		}
		want[k]--
	}
	return true
}

// columnName is the name of column i: names[i], or "col<i>" when that is missing or empty.
func columnName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return "col" + strconv.Itoa(i)
}
