package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// File names in an exporter's directory.
const (
	JSONLFile = "results.jsonl"
	CSVFile   = "results.csv"
)

// Columns returns the leading columns of every row, in order; metric and sub-score columns
// (metrics.NAME, metrics.NAME.stderr, .ci95_lo, .ci95_hi, .n, subscores.GROUP.NAME) follow,
// sorted.
func Columns() []string {
	return []string{
		"address", "suite", "benchmark", "endpoint", "model", "harness", "task", "identity",
		"status", "primary", "score", "n", "errors", "run_dir",
	}
}

// Exporter writes results.jsonl and results.csv (exporter "local" blocks). It implements
// plan.Exporter and is safe for concurrent use; use one per process, as a pointer.
type Exporter struct {
	// ConfigDir resolves a relative path attribute and makes run_dir relative.
	ConfigDir string
	// OutputDir is the configuration's output_dir; the default path is OutputDir/results.
	OutputDir string

	mu sync.Mutex
}

var _ plan.Exporter = (*Exporter)(nil)

// Dir returns the directory an exporter block writes to.
func (e *Exporter) Dir(x *config.Exporter) (string, error) {
	v := x.Attrs["path"]
	if v == cty.NilVal || v.IsNull() {
		return filepath.Join(e.OutputDir, "results"), nil
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() {
		return "", fmt.Errorf("%s: path: want a string", addrs.Exporter{Type: x.Type, Name: x.Name})
	}
	p := s.AsString()
	if !filepath.IsAbs(p) {
		p = filepath.Join(e.ConfigDir, p)
	}
	return p, nil
}

// Export upserts rec's row into the block's results.jsonl and results.csv and returns the
// path of results.jsonl (relative to the configuration directory when inside it).
func (e *Exporter) Export(ctx context.Context, x *config.Exporter, rec *plan.ExportRecord) (string, error) {
	dir, err := e.Dir(x)
	if err != nil {
		return "", err
	}
	row, err := e.Row(rec)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	rows, err := ReadRows(filepath.Join(dir, JSONLFile))
	if err != nil {
		return "", err
	}
	rows[rec.Address] = row
	if err := Write(dir, rows); err != nil {
		return "", err
	}
	return e.rel(filepath.Join(dir, JSONLFile)), nil
}

func (e *Exporter) rel(path string) string {
	if e.ConfigDir == "" {
		return path
	}
	r, err := filepath.Rel(e.ConfigDir, path)
	if err != nil || r == ".." || len(r) > 2 && r[:3] == ".."+string(filepath.Separator) {
		return path
	}
	return filepath.ToSlash(r)
}

// Row is a run's flat row: the leading Columns(), then for each metric NAME metrics.NAME and
// its .stderr, .ci95_lo, .ci95_hi (null when unknown) and .n, and subscores.GROUP.NAME for
// every sub-score's value. Numbers are json.Number.
func (e *Exporter) Row(rec *plan.ExportRecord) (map[string]any, error) {
	row := map[string]any{
		"address": rec.Address, "suite": rec.Suite, "benchmark": rec.Benchmark,
		"endpoint": rec.Endpoint, "model": rec.Model, "harness": rec.Harness, "task": rec.Task,
		"identity": rec.Identity, "status": rec.Status, "run_dir": e.rel(rec.RunDir),
	}
	if r := rec.Result; r != nil {
		row["primary"], row["score"], row["n"], row["errors"] = r.Primary, r.Score, r.N, r.Errors
		for name, m := range r.Metrics {
			p := "metrics." + name
			row[p], row[p+".n"] = m.Value, m.N
			row[p+".stderr"], row[p+".ci95_lo"], row[p+".ci95_hi"] = nil, nil, nil
			if m.Stderr != nil {
				row[p+".stderr"] = *m.Stderr
			}
			if m.CI95 != nil {
				row[p+".ci95_lo"], row[p+".ci95_hi"] = m.CI95[0], m.CI95[1]
			}
		}
		for g, subs := range r.Subscores {
			for name, m := range subs {
				row["subscores."+g+"."+name] = m.Value
			}
		}
	}
	// A JSON round trip gives new and re-read rows the same representation.
	b, err := json.Marshal(row)
	if err != nil {
		return nil, fmt.Errorf("local export of %s: %w", rec.Address, err)
	}
	return decodeRow(b)
}

func decodeRow(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var row map[string]any
	if err := dec.Decode(&row); err != nil {
		return nil, err
	}
	return row, nil
}

// ReadRows reads a results.jsonl into rows by address; a missing file has none.
func ReadRows(path string) (map[string]map[string]any, error) {
	rows := map[string]map[string]any{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return rows, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		row, err := decodeRow(sc.Bytes())
		addr, _ := row["address"].(string)
		if err != nil || addr == "" {
			return nil, fmt.Errorf("%s:%d: not a result row (fix or delete the file; `evalplan export -force` writes it again)", path, n)
		}
		rows[addr] = row
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}

// Write replaces results.jsonl and results.csv in dir with rows, sorted by address, each file
// written to a temporary file and renamed into place.
func Write(dir string, rows map[string]map[string]any) error {
	addrs := make([]string, 0, len(rows))
	for a := range rows {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	cols := columns(rows)
	var jl bytes.Buffer
	for _, a := range addrs {
		if err := writeJSONRow(&jl, cols, rows[a]); err != nil {
			return fmt.Errorf("encode row %s: %w", a, err)
		}
	}
	var cb bytes.Buffer
	w := csv.NewWriter(&cb)
	w.Write(cols)
	for _, a := range addrs {
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = cell(rows[a][c])
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("encode %s: %w", CSVFile, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("local export: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, JSONLFile), jl.Bytes()); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, CSVFile), cb.Bytes())
}

// columns returns the leading Columns() then every other key of any row, sorted.
func columns(rows map[string]map[string]any) []string {
	cols := Columns()
	lead := map[string]bool{}
	for _, c := range cols {
		lead[c] = true
	}
	extra := map[string]bool{}
	for _, r := range rows {
		for k := range r {
			if !lead[k] {
				extra[k] = true
			}
		}
	}
	rest := make([]string, 0, len(extra))
	for k := range extra {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(cols, rest...)
}

// writeJSONRow writes one JSON object with the row's keys in column order.
func writeJSONRow(buf *bytes.Buffer, cols []string, row map[string]any) error {
	buf.WriteByte('{')
	first := true
	for _, c := range cols {
		v, ok := row[c]
		if !ok {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(c)
		val, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(val)
	}
	buf.WriteString("}\n")
	return nil
}

// cell renders a value for the CSV: numbers as written in JSON, null as empty.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
