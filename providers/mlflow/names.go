package mlflow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/result"
)

// Length limits of keys and values (mlflow.md §2).
const (
	// MaxKeyLength is the longest metric, param or tag key.
	MaxKeyLength = 250
	// MaxParamValueLength is the longest param value (6000 since MLflow 2.8).
	MaxParamValueLength = 6000
	// MaxTagValueLength is the longest tag value every supported server accepts (5000 up to
	// 2.14; 8000 later).
	MaxTagValueLength = 5000
	// maxRunNameLength is the runs.name column's width.
	maxRunNameLength = 250
)

// SanitizeKey turns name into a key MLflow accepts: only letters, digits, '_', '-', '.',
// ' ' and '/' (the characters every server version allows), a normalised relative path (no
// leading '/', no '//', no '.' or '..' segments), at most MaxKeyLength bytes. A key that had
// to be cut keeps a short hash of the original so two long names stay distinct.
func SanitizeKey(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '_', r == '-', r == '.', r == ' ', r == '/':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	var segs []string
	for _, s := range strings.Split(b.String(), "/") {
		switch s {
		case "":
			continue
		case ".", "..":
			s = strings.Repeat("_", len(s))
		}
		segs = append(segs, s)
	}
	key := strings.Join(segs, "/")
	if key == "" {
		key = "_"
	}
	if len(key) > MaxKeyLength {
		sum := sha256.Sum256([]byte(name))
		key = strings.TrimRight(key[:MaxKeyLength-9], "/") + "~" + hex.EncodeToString(sum[:4])
	}
	return key
}

// truncate cuts s to at most n characters (runes), as MLflow counts lengths.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// FlattenParams turns nested inputs into params with dotted keys (benchmark.harness,
// params.temperature, ...), sorted by key. Strings are kept as they are, other scalars and
// lists are JSON, nulls are "null"; keys are sanitised and values truncated to
// MaxParamValueLength.
func FlattenParams(in map[string]any) []Param {
	flat := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for k, sub := range m {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, sub)
			}
			return
		}
		flat[prefix] = paramValue(v)
	}
	walk("", in)
	delete(flat, "")
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	out := make([]Param, 0, len(keys))
	for _, k := range keys {
		key := uniqueKey(SanitizeKey(k), seen)
		out = append(out, Param{Key: key, Value: truncate(flat[k], MaxParamValueLength)})
	}
	return out
}

// uniqueKey returns key, or key with a numeric suffix when sanitising made two keys equal
// (MLflow refuses duplicate keys in one batch).
func uniqueKey(key string, seen map[string]bool) string {
	k := key
	for i := 2; seen[k]; i++ {
		k = key + "_" + strconv.Itoa(i)
	}
	seen[k] = true
	return k
}

func paramValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// Metrics turns a result into MLflow metrics: for every metric NAME its value as NAME and
// NAME_stderr, NAME_ci95_lo, NAME_ci95_hi when known; the run's score, n and errors; and every
// sub-score as GROUP/NAME with the same suffixes plus GROUP/NAME_n. Keys are sanitised,
// non-finite values are left out (JSON cannot carry them), and the order is stable.
func Metrics(r *result.Result, at time.Time) []Metric {
	if r == nil {
		return nil
	}
	ts := at.UnixMilli()
	var out []Metric
	seen := map[string]bool{}
	add := func(key string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		out = append(out, Metric{Key: uniqueKey(SanitizeKey(key), seen), Value: v, Timestamp: ts})
	}
	summary := func(name string, m result.Metric) {
		add(name, m.Value)
		if m.Stderr != nil {
			add(name+"_stderr", *m.Stderr)
		}
		if m.CI95 != nil {
			add(name+"_ci95_lo", m.CI95[0])
			add(name+"_ci95_hi", m.CI95[1])
		}
	}
	add("score", r.Score)
	add("n", float64(r.N))
	add("errors", float64(r.Errors))
	for _, name := range sortedKeys(r.Metrics) {
		summary(name, r.Metrics[name])
	}
	for _, g := range sortedKeys(r.Subscores) {
		for _, name := range sortedKeys(r.Subscores[g]) {
			m := r.Subscores[g][name]
			key := g + "/" + name
			summary(key, m)
			add(key+"_n", float64(m.N))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
