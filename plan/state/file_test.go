package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/result"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// fixture returns a state that uses every field, with plain JSON values in the any fields.
func fixture(t *testing.T) *File {
	t.Helper()
	started := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	finished := started.Add(90 * time.Minute)
	se := 0.0125
	res := &result.Result{
		Score: 0.8125, Primary: "exact_match", N: 1000, Errors: 2,
		Metrics: map[string]result.Metric{
			"exact_match": {Value: 0.8125, Stderr: &se, CI95: &[2]float64{0.788, 0.837}, N: 1000},
			"bleu":        {Value: 12.5, N: 1},
		},
		Subscores: map[string]map[string]result.Metric{
			"subject": {"physics": {Value: 0.5, N: 10}, "algebra": {Value: 0.75, N: 12}},
		},
	}
	norm := func(v any) any {
		out, err := Normalize(v)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return &File{
		EvalplanVersion: "0.1.0",
		FormatVersion:   FormatVersion,
		Lineage:         "8c6f3c1e-3f7a-4d8e-9a51-0c2b0b7f1a22",
		Serial:          7,
		Outputs: map[string]Output{
			"gsm8k":    {Value: norm(0.8125)},
			"tables":   {Value: norm(map[string]any{"z": []any{1, "two", nil, true}, "a": map[string]any{"y": 1, "b": 2}})},
			"internal": {Sensitive: true, Value: "a <b> & c"},
		},
		Resources: map[string]*Resource{
			`suite.quick.run["native.gsm8k"]["qwen"]`: {
				Type:     "run",
				Identity: "sha256:abc",
				Inputs: norm(map[string]any{
					"params":   map[string]any{"temperature": 0, "max_tokens": 512, "seed": 1 << 40},
					"endpoint": map[string]any{"model": "qwen", "capabilities": []string{"chat"}},
					"dataset":  "sha256:def",
				}).(map[string]any),
				Status:     StatusComplete,
				Result:     res,
				Compare:    map[string]any{"llama": map[string]any{"delta": 0.01, "p": 0.2}},
				RunDir:     ".evalplan/runs/abc",
				Exports:    map[string]Export{"exporter.local.files": {At: finished, Identity: "sha256:abc", Ref: "results/abc.json"}},
				StartedAt:  &started,
				FinishedAt: &finished,
				History: []HistoryEntry{
					{Identity: "sha256:old", Status: StatusFailed, RunDir: ".evalplan/runs/old", FinishedAt: &started},
					{Identity: "sha256:older", Status: StatusComplete, Result: &result.Result{Score: 0.5, Primary: "exact_match", N: 3, Metrics: map[string]result.Metric{}}},
				},
			},
			"endpoint.qwen": {Type: "endpoint", Identity: "sha256:ep"},
			`suite.quick.run["native.mmlu"]["qwen"]`: {
				Type: "run", Identity: "sha256:x", Status: StatusRunning, Error: "upstream <failed>", StartedAt: &started,
			},
		},
	}
}

// checkSorted walks one JSON value token by token and reports any object whose keys are
// not in strictly increasing order.
func checkSorted(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		prev := ""
		for i := 0; dec.More(); i++ {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if i > 0 && key <= prev {
				return fmt.Errorf("at %s: key %q after %q", path, key, prev)
			}
			prev = key
			if err := checkSorted(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkSorted(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

func TestCheckSortedCatchesDisorder(t *testing.T) {
	for _, doc := range []string{`{"b":1,"a":2}`, `{"a":{"y":1,"x":2}}`, `{"a":[{"d":1,"c":2}]}`} {
		if err := checkSorted(json.NewDecoder(strings.NewReader(doc)), "$"); err == nil {
			t.Errorf("checkSorted(%s) found no disorder", doc)
		}
	}
}

func TestMarshalCanonical(t *testing.T) {
	data, err := Marshal(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSorted(json.NewDecoder(bytes.NewReader(data)), "$"); err != nil {
		t.Errorf("keys not sorted: %v", err)
	}
	if !bytes.HasSuffix(data, []byte("}\n")) {
		t.Errorf("no trailing newline")
	}
	if !bytes.Contains(data, []byte(`"a <b> & c"`)) {
		t.Errorf("HTML characters escaped")
	}
	if !bytes.Contains(data, []byte("\n  \"lineage\": ")) {
		t.Errorf("not indented by two spaces")
	}
	golden := filepath.Join("testdata", "state.golden.json")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(data)); diff != "" {
		t.Errorf("Marshal differs from %s (-want +got; go test -update to accept):\n%s", golden, diff)
	}
}

func TestMarshalDeterministic(t *testing.T) {
	first, err := Marshal(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 { // map iteration order differs between runs
		got, err := Marshal(fixture(t))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, got) {
			t.Fatalf("Marshal #%d differs:\n%s", i, cmp.Diff(string(first), string(got)))
		}
	}
	loaded, err := Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Marshal(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(first), string(again)); diff != "" {
		t.Errorf("Marshal(Parse(b)) != b:\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file *File
	}{
		{"full", fixture(t)},
		{"new", New("0.1.0")},
		{"nil maps", &File{FormatVersion: FormatVersion, Lineage: "l"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "evalplan.state.json")
			data, err := Marshal(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteAtomic(path, data); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.file.Clone()
			if want.Outputs == nil {
				want.Outputs = map[string]Output{}
			}
			if want.Resources == nil {
				want.Resources = map[string]*Resource{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load(Marshal(f)) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNew(t *testing.T) {
	a, b := New("1.2.3"), New("1.2.3")
	if a.Lineage == b.Lineage || len(a.Lineage) != 36 {
		t.Errorf("lineages %q, %q: want two distinct UUIDs", a.Lineage, b.Lineage)
	}
	want := &File{EvalplanVersion: "1.2.3", FormatVersion: 1, Lineage: a.Lineage,
		Outputs: map[string]Output{}, Resources: map[string]*Resource{}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("New mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		notExst bool
		want    []string // substrings of the error
	}{
		{name: "missing", notExst: true, want: []string{"read state"}},
		{name: "garbage", content: ptr("{\"format_version\": 1, \"lin"), want: []string{"is damaged", "restore it from", ".backup"}},
		{name: "empty", content: ptr(""), want: []string{"is damaged", ".backup"}},
		{name: "future", content: ptr(`{"format_version": 2, "lineage": "l"}`), want: []string{"format_version 2 is newer", "upgrade evalplan"}},
		{name: "zero version", content: ptr(`{"format_version": 0, "lineage": "l"}`), want: []string{"unknown format_version 0"}},
		{name: "no version", content: ptr(`{"lineage": "l"}`), want: []string{"no format_version", ".backup"}},
		{name: "no lineage", content: ptr(`{"format_version": 1}`), want: []string{"no lineage"}},
		{name: "wrong type", content: ptr(`{"format_version": 1, "lineage": "l", "serial": "x"}`), want: []string{"is damaged"}},
		{name: "trailing data", content: ptr(`{"format_version": 1, "lineage": "l"} {}`), want: []string{"is damaged"}},
		{name: "null resource", content: ptr(`{"format_version": 1, "lineage": "l", "resources": {"endpoint.a": null}}`), want: []string{`resource "endpoint.a" is null`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExst {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v (err: %v)", got, tt.notExst, err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestCloneIsDeep(t *testing.T) {
	orig := fixture(t)
	before, err := Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	c := orig.Clone()
	if diff := cmp.Diff(orig, c); diff != "" {
		t.Fatalf("Clone differs (-orig +clone):\n%s", diff)
	}
	// Mutate everything reachable from the clone.
	c.Outputs["tables"].Value.(map[string]any)["a"].(map[string]any)["y"] = "changed"
	c.Outputs["tables"].Value.(map[string]any)["z"].([]any)[0] = "changed"
	r := c.Resources[`suite.quick.run["native.gsm8k"]["qwen"]`]
	r.Inputs["params"].(map[string]any)["seed"] = "changed"
	r.Compare["llama"].(map[string]any)["p"] = "changed"
	r.Result.Metrics["bleu"] = result.Metric{}
	*r.Result.Metrics["exact_match"].Stderr = 9
	r.Result.Metrics["exact_match"].CI95[0] = 9
	r.Result.Subscores["subject"]["physics"] = result.Metric{Value: 9}
	*r.StartedAt = time.Time{}
	*r.FinishedAt = time.Time{}
	r.Exports["exporter.local.files"] = Export{}
	r.History[0].Status = "changed"
	*r.History[0].FinishedAt = time.Time{}
	r.History[1].Result.Score = 9
	c.Resources["endpoint.qwen"].Identity = "changed"
	delete(c.Resources, "endpoint.qwen")
	after, err := Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("mutating the clone changed the original:\n%s", diff)
	}
}

func TestNormalize(t *testing.T) {
	got, err := Normalize(map[string]any{"n": 3, "f": 0.5, "l": []string{"a"}, "m": map[string]int{"x": 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"n": 3.0, "f": 0.5, "l": []any{"a"}, "m": map[string]any{"x": 1.0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Normalize mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteAtomicBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	for i, content := range []string{"one\n", "two\n", "three\n"} {
		if err := WriteAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Errorf("write %d: file = %q, want %q", i, got, content)
		}
		backup, err := os.ReadFile(BackupPath(path))
		switch {
		case i == 0 && !errors.Is(err, fs.ErrNotExist):
			t.Errorf("first write made a backup (err %v)", err)
		case i == 1 && string(backup) != "one\n", i == 2 && string(backup) != "two\n":
			t.Errorf("write %d: backup = %q", i, backup)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"s.json", "s.json.backup"}, names); diff != "" {
		t.Errorf("files left in the directory (-want +got):\n%s", diff)
	}
}
