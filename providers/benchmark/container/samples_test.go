package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalplan/evalplan/plan/compare"
	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// gsm8kSamples is an excerpt (doc_id 0, 1 and 5, both filters) of the samples file the real
// lm-eval gsm8k image wrote for TestNeMoRealHarnesses.
const gsm8kSamples = "testdata/lm-eval-samples/gsm8k/samples_gsm8k_2026-12-05T05-56-18.757418.jsonl"

func strp(s string) *string { return &s }

// TestReadLMEvalSamples: lm-eval's per-sample lines (one per sample and filter) become one
// record per doc_id, scored under the names ParseResults gives the result's metrics.
func TestReadLMEvalSamples(t *testing.T) {
	gsm8k, err := os.ReadFile(gsm8kSamples)
	if err != nil {
		t.Fatal(err)
	}
	// A group's subtask with the filter "none" and a loglikelihood answer, as lm-eval logs
	// mmlu subtasks.
	algebra := `{"doc_id": 3, "target": 2, "arguments": {"gen_args_0": {"arg_0": "Q3", "arg_1": " C"}, "gen_args_1": {"arg_0": "Q3", "arg_1": " A"}}, "resps": [[[-1.5, false]], [[-0.5, true]]], "filtered_resps": [[-1.5, false], [-0.5, true]], "filter": "none", "metrics": ["acc"], "acc": true}` + "\n"
	anatomy := `{"doc_id": 0, "target": "B", "arguments": {"gen_args_0": {"arg_0": "Q0", "arg_1": {"until": []}}}, "resps": [["Answer: B"]], "filtered_resps": ["B"], "filter": "none", "metrics": ["exact_match"], "exact_match": 1.0}` + "\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []rundir.Record
	}{
		{"gsm8k, real", map[string]string{"model-a/" + filepath.Base(gsm8kSamples): string(gsm8k)}, nil},
		{"group", map[string]string{
			"m/samples_mmlu_str_anatomy_2026-12-05T05-56-18.757418.jsonl":          anatomy,
			"m/samples_mmlu_str_abstract_algebra_2026-12-05T05-56-18.757418.jsonl": algebra,
		}, []rundir.Record{
			{ID: "mmlu_str_abstract_algebra/3", Prompt: "Q3", Response: strp("[[-1.5,false]]"), Target: "2",
				Extracted: map[string]*string{"acc": strp("[-1.5,false]")}, Score: map[string]float64{"acc": 1},
				Attempts: 1, Groups: map[string]string{SubtaskGroup: "mmlu_str_abstract_algebra"}},
			{ID: "mmlu_str_anatomy/0", Prompt: "Q0", Response: strp("Answer: B"), Target: "B",
				Extracted: map[string]*string{"exact_match": strp("B")}, Score: map[string]float64{"exact_match": 1},
				Attempts: 1, Groups: map[string]string{SubtaskGroup: "mmlu_str_anatomy"}},
		}},
		{"no samples files", map[string]string{"results.yml": "x", "report.html": "<html>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				writeFile(t, filepath.Join(dir, name), body)
			}
			got, ok, err := ReadLMEvalSamples(dir, time.Now().Add(-time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if tt.name == "gsm8k, real" {
				want = gsm8kRecords()
				shorten(t, got)
			}
			if ok != (len(want) > 0) {
				t.Errorf("ok = %v with %d records", ok, len(want))
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// gsm8kRecords are the records of the gsm8k excerpt, with each prompt (5-shot, long) cut
// to its last question and each target to its last line (see shorten).
func gsm8kRecords() []rundir.Record {
	rec := func(id, question, response, target string, strict, flexible string, sStrict, sFlexible float64) rundir.Record {
		return rundir.Record{ID: id, Prompt: "Question: " + question, Response: strp(response), Target: target,
			Extracted: map[string]*string{"exact_match__strict-match": strp(strict), "exact_match__flexible-extract": strp(flexible)},
			Score:     map[string]float64{"exact_match__strict-match": sStrict, "exact_match__flexible-extract": sFlexible},
			Attempts:  1}
	}
	return []rundir.Record{
		rec("0", "Janet’s ducks lay 16 eggs per day.", "First there are 2 parts, then 3 more steps, and after 12 checks the total is 18.",
			"#### 18", "[invalid]", "18.", 0, 1),
		rec("1", "A robe takes 2 bolts of blue fiber and half that much white fiber.", "Let's work through it step by step.\nCombining the quantities gives 3.\n#### 3",
			"#### 3", "3", "3", 1, 1),
		rec("5", "Kylar went to the store to buy glasses for his new apartment.", "I am not sure. #### 0",
			"#### 64", "0", "0", 0, 0),
	}
}

// shorten cuts each record's prompt to the first sentence of its last question and its target
// to the last line.
func shorten(t *testing.T, recs []rundir.Record) {
	t.Helper()
	for i := range recs {
		p, ok := recs[i].Prompt.(string)
		if !ok || !strings.HasSuffix(p, "\nAnswer:") {
			t.Fatalf("record %s: prompt %#v, want lm-eval's prompt ending in Answer:", recs[i].ID, recs[i].Prompt)
		}
		q := p[strings.LastIndex(p, "Question: "):]
		if end := strings.Index(q, ". "); end > 0 {
			q = q[:end+1]
		}
		recs[i].Prompt = q
		recs[i].Target = recs[i].Target[strings.LastIndexByte(recs[i].Target, '\n')+1:]
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestJournalCompare: two container runs' journals, written by writeJournal from lm-eval's
// per-sample files, compare per sample on the result's primary metric.
func TestJournalCompare(t *testing.T) {
	gsm8k, err := os.ReadFile(gsm8kSamples)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/lm-evaluation-harness.gsm8k.results.yml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseResults(b, "gsm8k")
	if err != nil {
		t.Fatal(err)
	}
	base, newRun := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(base, "m", filepath.Base(gsm8kSamples)), string(gsm8k))
	// The new run scores every sample 1: doc 0 (strict-match) and doc 5 (both filters) gain.
	better := strings.ReplaceAll(string(gsm8k), `"exact_match": 0.0}`, `"exact_match": 1.0}`)
	writeFile(t, filepath.Join(newRun, "m", filepath.Base(gsm8kSamples)), better)
	for _, dir := range []string{base, newRun} {
		if err := writeJournal(dir, time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := compare.Runs(newRun, base, res.Primary)
	if err != nil {
		t.Fatal(err)
	}
	if res.Primary != "exact_match__flexible-extract" || c.N != 3 || c.Diff != 1.0/3 {
		t.Errorf("primary %s: n = %d, diff = %v; want exact_match__flexible-extract, 3 samples, diff 1/3", res.Primary, c.N, c.Diff)
	}
	if s, ok := c.Metrics["exact_match__strict-match"]; !ok || s.N != 3 || s.Diff != 2.0/3 {
		t.Errorf("strict-match: %+v (present %v), want 3 samples, diff 2/3", s, ok)
	}
}

// TestWriteJournalNone: a run whose harness wrote no per-sample files has no journal, even
// when an earlier attempt left one.
func TestWriteJournalNone(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, rundir.JournalFile), `{"id":"old"}`+"\n")
	writeFile(t, filepath.Join(dir, "mmlu", "mmlu.html"), "<html>")
	if err := writeJournal(dir, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.JournalFile)); !os.IsNotExist(err) {
		t.Errorf("%s after a run without per-sample files: %v, want none", rundir.JournalFile, err)
	}
}
