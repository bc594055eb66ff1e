package native

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/openai"
)

const (
	qaOld = `{"id": "a", "question": "Q1", "answer": "#### 1"}
{"id": "b", "question": "Q2", "answer": "#### 2"}
`
	// qaNew has the same ids as qaOld and other answers.
	qaNew = `{"id": "a", "question": "Q1", "answer": "#### 7"}
{"id": "b", "question": "Q2", "answer": "#### 8"}
`
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// rewriteOnTotal is a Progress that rewrites a file when the runner reports its sample
// count: after the samples were selected, before any is requested.
type rewriteOnTotal struct {
	plan.NopProgress
	path, content string
	err           error
}

func (p *rewriteOnTotal) Total(string, int64) {
	p.err = os.WriteFile(p.path, []byte(p.content), 0o644)
}

// TestRunDatasetChanged: a run never completes on dataset bytes other than those it
// selected from, planned with, or resumes a journal of.
func TestRunDatasetChanged(t *testing.T) {
	tests := []struct {
		name string
		// prepare sets up the run directory, dataset and spec; it returns the progress
		// to run with.
		prepare func(t *testing.T, spec *plan.RunSpec) plan.Progress
		want    string
	}{{
		name: "changed after plan, declared sha256",
		prepare: func(t *testing.T, spec *plan.RunSpec) plan.Progress {
			spec.Dataset.SHA256 = sha(qaOld)
			spec.DatasetConfig = &config.Dataset{Name: "qa", SHA256: sha(qaOld)}
			write(t, spec.Dataset.Path, qaNew)
			return nil
		},
		want: `dataset "qa" (` + "PATH" + `) no longer matches its declared sha256:
  declared: ` + sha(qaOld) + `
  read:     ` + sha(qaNew),
	}, {
		name: "changed between selection and requests",
		prepare: func(t *testing.T, spec *plan.RunSpec) plan.Progress {
			write(t, spec.Dataset.Path, qaOld)
			return &rewriteOnTotal{path: spec.Dataset.Path, content: qaNew}
		},
		want: "dataset PATH changed while running: its samples were selected from bytes with sha256 " + sha(qaOld) +
			", but were requested from bytes with sha256 " + sha(qaNew),
	}, {
		name: "resume from other bytes",
		prepare: func(t *testing.T, spec *plan.RunSpec) plan.Progress {
			write(t, spec.Dataset.Path, qaOld)
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return qaDoer() }, Now: fixedClock}
			if out, err := r.Run(context.Background(), spec, nil); err != nil || out.Status != state.StatusComplete {
				t.Fatalf("first run: %+v, %v", out, err)
			}
			write(t, spec.Dataset.Path, qaNew)
			spec.Dataset.SHA256 = sha(qaNew) // as a new plan would have it
			return nil
		},
		want: "dataset PATH changed since the interrupted run: its journal RUNDIR/samples.jsonl was made from sha256 " + sha(qaOld) +
			", the dataset now has sha256 " + sha(qaNew) + "; restore the dataset to resume, or start over with apply -replace='" +
			`suite.s.run["native.gsm8k"]["qwen"]'`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "qa.jsonl")
			spec := taskSpec(filepath.Join(dir, "run"), "native.gsm8k", path)
			progress := tt.prepare(t, spec)
			r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return qaDoer() }, Now: fixedClock}
			out, err := r.Run(context.Background(), spec, progress)
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := progress.(*rewriteOnTotal); ok && p.err != nil {
				t.Fatal(p.err)
			}
			want := strings.NewReplacer("PATH", path, "RUNDIR", spec.RunDir).Replace(tt.want)
			if diff := cmp.Diff(state.StatusFailed, out.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s\nerror: %s", diff, out.Error)
			}
			if !strings.HasPrefix(out.Error, want) {
				t.Errorf("error:\n%s\nwant it to start with:\n%s", out.Error, want)
			}
		})
	}
}

// TestRunConfigRecordsDigestRead: run_config.json records the digest of the bytes read.
func TestRunConfigRecordsDigestRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qa.jsonl")
	write(t, path, qaOld)
	spec := taskSpec(filepath.Join(dir, "run"), "native.gsm8k", path)
	r := &Runner{NewDoer: func(*plan.RunSpec) openai.Doer { return qaDoer() }, Now: fixedClock}
	if _, err := r.Run(context.Background(), spec, nil); err != nil {
		t.Fatal(err)
	}
	var rc runConfig
	if err := rundir.ReadRunConfig(spec.RunDir, &rc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(runDataset{SHA256: sha(qaOld), Rows: 2}, rc.Dataset); diff != "" {
		t.Errorf("run_config.json dataset (-want +got):\n%s", diff)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func qaDoer() *scriptDoer {
	return &scriptDoer{rules: []rule{{"Q1", "#### 1"}, {"Q2", "#### 2"}}}
}
