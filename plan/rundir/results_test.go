package rundir

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan/result"
	"github.com/google/go-cmp/cmp"
)

// TestResultsRoundTrip writes results.json and reads it back, and pins its on-disk form.
func TestResultsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		res  *result.Result
		want string
	}{
		{
			"no samples",
			&result.Result{Primary: "acc", Metrics: map[string]result.Metric{"acc": {}}},
			`{
  "score": 0,
  "primary": "acc",
  "n": 0,
  "errors": 0,
  "metrics": {
    "acc": {
      "value": 0,
      "stderr": null,
      "ci95": null,
      "n": 0
    }
  }
}
`,
		},
		{
			"subscores",
			&result.Result{Score: 0.5, Primary: "acc", N: 2, Errors: 1,
				Metrics:   map[string]result.Metric{"acc": {Value: 0.5, Stderr: ptr(0.5), CI95: &[2]float64{-0.48, 1.48}, N: 2}},
				Subscores: map[string]map[string]result.Metric{"subject": {"anatomy": {Value: 1, N: 1}}},
			},
			`{
  "score": 0.5,
  "primary": "acc",
  "n": 2,
  "errors": 1,
  "metrics": {
    "acc": {
      "value": 0.5,
      "stderr": 0.5,
      "ci95": [
        -0.48,
        1.48
      ],
      "n": 2
    }
  },
  "subscores": {
    "subject": {
      "anatomy": {
        "value": 1,
        "stderr": null,
        "ci95": null,
        "n": 1
      }
    }
  }
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if HasResults(dir) {
				t.Fatal("HasResults before the write = true")
			}
			if _, err := ReadResults(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadResults before the write: %v, want fs.ErrNotExist", err)
			}
			if err := WriteResults(dir, tt.res); err != nil {
				t.Fatal(err)
			}
			if !HasResults(dir) {
				t.Error("HasResults after the write = false")
			}
			data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(data)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", ResultsFile, diff)
			}
			got, err := ReadResults(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.res, got); diff != "" {
				t.Errorf("ReadResults (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteResultsAtomic replaces results.json: the directory then holds the new file with
// mode 0644 and no temporary file, and a write that fails leaves the old file as it was.
func TestWriteResultsAtomic(t *testing.T) {
	dir := t.TempDir()
	if err := WriteResults(dir, &result.Result{Score: 1, Primary: "acc"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(dir, &result.Result{Score: 0.25, Primary: "acc"}); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	// NaN cannot be encoded: the write fails before anything reaches the directory.
	if err := WriteResults(dir, &result.Result{Score: math.NaN()}); err == nil {
		t.Error("WriteResults(NaN) succeeded")
	}
	got, err := ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&result.Result{Score: 0.25, Primary: "acc"}, got); diff != "" {
		t.Errorf("results after a failed write (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{ResultsFile}, names); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	st, err := os.Stat(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	// A directory that cannot take the temporary file: the write fails, the file stays.
	if os.Getuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		if err := WriteResults(dir, &result.Result{Score: 0.75, Primary: "acc"}); err == nil {
			t.Error("WriteResults into a read-only directory succeeded")
		}
		after, err := os.ReadFile(filepath.Join(dir, ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(old), string(after)); diff != "" {
			t.Errorf("results after a failed write (-want +got):\n%s", diff)
		}
	}
}

// TestRunConfigRoundTrip writes a runner's document and reads it back.
func TestRunConfigRoundTrip(t *testing.T) {
	type doc struct {
		Address   string `json:"address"`
		Selection struct {
			Sample string `json:"sample"`
			N      int    `json:"n"`
		} `json:"selection"`
	}
	dir := t.TempDir()
	var in doc
	in.Address, in.Selection.Sample, in.Selection.N = "suite.quick.native.gsm8k.sim", "first", 40
	if err := WriteRunConfig(dir, in); err != nil {
		t.Fatal(err)
	}
	var out doc
	if err := ReadRunConfig(dir, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("ReadRunConfig (-want +got):\n%s", diff)
	}
	n, err := SelectionSize(dir)
	if err != nil || n != 40 {
		t.Errorf("SelectionSize = %d, %v; want 40", n, err)
	}
}

func TestSelectionSize(t *testing.T) {
	tests := []struct {
		name    string
		content *string
		want    int64
	}{
		{"missing", nil, 0},
		{"native run config", ptr(`{"address":"x","selection":{"sample":"first","n":40}}`), 40},
		{"no selection", ptr(`{"address":"x"}`), 0},
		{"not json", ptr(`{"sel`), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != nil {
				writeFile(t, filepath.Join(dir, RunConfigFile), *tt.content)
			}
			got, err := SelectionSize(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("SelectionSize = %d, want %d", got, tt.want)
			}
		})
	}
}
