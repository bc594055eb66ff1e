package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"reflect"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetBatch is how many rows (*reader).parquet decodes at a time.
const parquetBatch = 64

// parquet reads a Parquet file row group by row group, parquetBatch rows at a time, so memory
// stays flat in the number of rows. Each row becomes a Record of its top-level columns with
// JSON-like values, as the JSON formats give them:
//
//   - integers and finite floats: json.Number (floats as encoding/json writes them; NaN and
//     ±Inf stay float32/float64); decimals: json.Number with their scale applied (exact for
//     byte array decimals, to about 7 and 15 digits for INT32 and INT64 ones)
//   - strings, enums, JSON and unannotated byte arrays: string
//   - booleans: bool; nulls: nil
//   - timestamps: string, RFC 3339 in UTC with the fraction the value has; dates: string
//     "2006-01-02"; UUIDs: string in the 8-4-4-4-12 form
//   - lists and repeated fields: []any; structs and maps: map[string]any
func (r *reader) parquet(fh *os.File) error {
	fi, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("read dataset %s: %w", r.path, err)
	}
	pf, err := openParquet(fh, fi.Size())
	if err != nil {
		return fmt.Errorf("read dataset %s: %w", r.path, err)
	}
	schema := pf.Schema()
	buf := make([]parquet.Row, parquetBatch)
	for _, rg := range pf.RowGroups() {
		if err := r.parquetRowGroup(rg, schema, buf); err != nil {
			return err
		}
	}
	return nil
}

// openParquet reads a Parquet file's metadata. The library panics on some malformed
// schemas; that is returned as an error.
func openParquet(fh *os.File, size int64) (pf *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("open: %v", p)
		}
	}()
	return parquet.OpenFile(fh, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
}

// parquetRowGroup emits the rows of one row group.
func (r *reader) parquetRowGroup(rg parquet.RowGroup, schema *parquet.Schema, buf []parquet.Row) error {
	rows := rg.Rows()
	defer rows.Close()
	for {
		n, err := readParquetRows(rows, buf)
		for i := range n {
			rec, cerr := parquetRecord(schema, buf[i])
			if cerr != nil {
				return fmt.Errorf("read dataset %s: row %d: %w", r.path, r.row, cerr)
			}
			if ferr := r.emit(rec); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read dataset %s: row %d: %w", r.path, r.row, err)
		}
	}
}

// readParquetRows reads the next rows into buf. The library panics on some malformed
// pages; that is returned as an error.
func readParquetRows(rows parquet.Rows, buf []parquet.Row) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("decode rows: %v", p)
		}
	}()
	return rows.ReadRows(buf)
}

// parquetRecord turns one row into a Record. The library panics on some malformed rows;
// that is returned as an error.
func parquetRecord(schema *parquet.Schema, row parquet.Row) (rec Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("decode row: %v", p)
		}
	}()
	var v any
	if err := schema.Reconstruct(&v, row); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode row: got %T, want a group of columns", v)
	}
	for _, f := range schema.Fields() {
		if x, ok := m[f.Name()]; ok {
			m[f.Name()] = parquetValue(f, x)
		}
	}
	return Record(m), nil
}

// parquetValue converts a value the library reconstructed for node into a JSON-like value.
// node may be nil when the schema cannot be followed; values are then converted by their Go
// type alone.
func parquetValue(node parquet.Node, v any) any {
	// Optional values inside maps come as pointers to basic types.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		if rv.Elem().Kind() != reflect.Struct {
			v = rv.Elem().Interface()
		}
	}
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		if node != nil && isParquetMap(node) {
			vn := mapValueNode(node)
			for k, e := range x {
				x[k] = parquetValue(vn, e)
			}
			return x
		}
		fields := map[string]parquet.Node{}
		if node != nil && !node.Leaf() {
			for _, f := range node.Fields() {
				fields[f.Name()] = f
			}
		}
		for k, e := range x {
			x[k] = parquetValue(fields[k], e)
		}
		return x
	case []any:
		en := listElementNode(node)
		for i, e := range x {
			x[i] = parquetValue(en, e)
		}
		return x
	}
	return parquetLeaf(node, v)
}

// logicalValue is the logical type of node, or nil.
func logicalValue(node parquet.Node) format.LogicalTypeValue {
	if node == nil {
		return nil
	}
	if lt := node.Type().LogicalType(); lt != nil {
		return lt.Value
	}
	return nil
}

// isParquetMap reports whether node is a MAP group.
func isParquetMap(node parquet.Node) bool {
	_, ok := logicalValue(node).(*format.MapType)
	return ok && !node.Leaf()
}

// mapValueNode is the value field of a MAP group, or nil.
func mapValueNode(node parquet.Node) parquet.Node {
	fs := node.Fields()
	if len(fs) != 1 || fs[0].Leaf() {
		return nil
	}
	kv := fs[0].Fields()
	if len(kv) != 2 {
		return nil
	}
	return kv[1]
}

// listElementNode is the node of the elements of a LIST group or repeated field, or nil
// when node is not one of the layouts it knows.
func listElementNode(node parquet.Node) parquet.Node {
	if node == nil {
		return nil
	}
	if _, ok := logicalValue(node).(*format.ListType); !ok || node.Leaf() {
		return node // a repeated field: its elements have its own type
	}
	fs := node.Fields()
	if len(fs) != 1 {
		return nil
	}
	if rep := fs[0]; !rep.Leaf() && len(rep.Fields()) == 1 {
		return rep.Fields()[0] // the standard three-level list
	}
	return fs[0] // a two-level list
}

// parquetLeaf converts a leaf value, using node's logical type where it has one.
func parquetLeaf(node parquet.Node, v any) any {
	switch lt := logicalValue(node).(type) {
	case *format.TimestampType:
		if n, ok := asInt64(v); ok {
			return timestampString(n, lt)
		}
	case *format.DateType:
		if n, ok := asInt64(v); ok {
			return time.Unix(n*86400, 0).UTC().Format(time.DateOnly)
		}
	case *format.DecimalType:
		if d, ok := decimalString(v, int(lt.Scale)); ok {
			return json.Number(d)
		}
	case *format.UUIDType:
		if b, ok := asBytes(v); ok && len(b) == 16 {
			return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		}
	}
	switch x := v.(type) {
	case bool, string:
		return x
	case []byte:
		return string(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return json.Number(fmt.Sprint(x))
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return x
		}
		b, _ := json.Marshal(x)
		return json.Number(b)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x
		}
		b, _ := json.Marshal(x)
		return json.Number(b)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// asInt64 is v as an int64 when it is a signed integer.
func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// asBytes is v as bytes when it is a byte array.
func asBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	case [16]byte:
		return x[:], true
	}
	return nil, false
}

// timestampString formats a timestamp of the given unit as RFC 3339 in UTC.
func timestampString(n int64, lt *format.TimestampType) string {
	var t time.Time
	switch lt.Unit.Value.(type) {
	case *format.MilliSeconds:
		t = time.UnixMilli(n)
	case *format.MicroSeconds:
		t = time.UnixMicro(n)
	default:
		t = time.Unix(0, n)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// decimalString formats a decimal with scale digits after the point: the library's
// *big.Float (byte array decimals, exact) or float32/float64 (INT32/INT64 decimals, exact
// to about 7/15 significant digits), or an unscaled integer or big-endian two's complement
// bytes.
func decimalString(v any, scale int) (string, bool) {
	var n big.Int
	switch f := v.(type) {
	case *big.Float:
		return f.Text('f', max(scale, 0)), true
	case float32: // the library's value for an INT32 decimal: about 7 exact digits
		return strconv.FormatFloat(float64(f), 'f', max(scale, 0), 32), true
	case float64: // the library's value for an INT64 decimal: about 15 exact digits
		return strconv.FormatFloat(f, 'f', max(scale, 0), 64), true
	}
	if i, ok := asInt64(v); ok {
		n.SetInt64(i)
	} else if b, ok := asBytes(v); ok && len(b) > 0 {
		n.SetBytes(b)
		if b[0]&0x80 != 0 { // negative: subtract 2^(8·len)
			var m big.Int
			n.Sub(&n, m.Lsh(big.NewInt(1), uint(8*len(b))))
		}
	} else {
		return "", false
	}
	s := n.String()
	if scale <= 0 {
		return s, true
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for len(s) <= scale {
		s = "0" + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		s = "-" + s
	}
	return s, true
}
