package rundir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestJournalRoundTrip writes records through a Journal and reads them back, unchanged and
// in order, with ReadJournal, ReadOutcomes and LastOutcomes.
func TestJournalRoundTrip(t *testing.T) {
	recs := []*Record{
		{
			ID:        "0",
			Prompt:    []any{map[string]any{"role": "user", "content": "1+1 <b>?</b>"}},
			Response:  ptr("2"),
			Target:    "2",
			Extracted: map[string]*string{"exact_match": ptr("2")},
			Score:     map[string]float64{"exact_match": 1},
			LatencyMS: 12.5,
			Usage:     Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
			Attempts:  1,
			Judge:     ptr("CORRECT"),
			Groups:    map[string]string{"subject": "anatomy"},
		},
		{
			ID:        "1",
			Prompt:    "plain text",
			Target:    "B",
			Extracted: map[string]*string{},
			Score:     map[string]float64{},
			Error:     ptr("HTTP 500"),
			Attempts:  3,
		},
		{ID: "2", Prompt: strings.Repeat("long ", 30000), Target: "x", Response: ptr(""), Extracted: map[string]*string{"m": nil}, Score: map[string]float64{"m": 0}},
	}
	path := filepath.Join(t.TempDir(), JournalFile)
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	var got []*Record
	if err := ReadJournal(path, func(r *Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs, got); diff != "" {
		t.Errorf("ReadJournal (-want +got):\n%s", diff)
	}

	var outs []Outcome
	if err := ReadOutcomes(path, func(o *Outcome) error { outs = append(outs, *o); return nil }); err != nil {
		t.Fatal(err)
	}
	wantOuts := []Outcome{
		{ID: "0", Score: map[string]float64{"exact_match": 1}, Groups: map[string]string{"subject": "anatomy"}},
		{ID: "1", Score: map[string]float64{}, Error: ptr("HTTP 500")},
		{ID: "2", Score: map[string]float64{"m": 0}},
	}
	if diff := cmp.Diff(wantOuts, outs); diff != "" {
		t.Errorf("ReadOutcomes (-want +got):\n%s", diff)
	}
}

// TestRecordJSON pins the on-disk shape of a journal line: existing journals must read.
func TestRecordJSON(t *testing.T) {
	tests := []struct {
		name string
		rec  *Record
		want string
	}{
		{
			"failed request",
			&Record{ID: "7", Prompt: "q", Target: "a", Extracted: map[string]*string{}, Score: map[string]float64{}, Error: ptr("timeout"), LatencyMS: 1.5, Attempts: 2},
			`{"id":"7","prompt":"q","response":null,"target":"a","extracted":{},"score":{},"error":"timeout","latency_ms":1.5,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},"attempts":2}`,
		},
		{
			"judged, with groups, HTML not escaped",
			&Record{ID: "a", Prompt: "<q>", Response: ptr("x & y"), Target: "y", Extracted: map[string]*string{"acc": nil}, Score: map[string]float64{"acc": 0}, Usage: Usage{1, 2, 3}, Attempts: 1, Judge: ptr("NO"), Groups: map[string]string{"category": "STEM"}},
			`{"id":"a","prompt":"<q>","response":"x & y","target":"y","extracted":{"acc":null},"score":{"acc":0},"error":null,"latency_ms":0,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"attempts":1,"judge":"NO","groups":{"category":"STEM"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), JournalFile)
			j, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Append(tt.rec); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want+"\n", string(got)); diff != "" {
				t.Errorf("journal line (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLastOutcomes checks that the last line of each id wins and that lines that do not
// parse, such as a last line cut short by a crash, are skipped.
func TestLastOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		want    map[string]Outcome
	}{
		{"missing file", nil, map[string]Outcome{}},
		{"empty file", ptr(""), map[string]Outcome{}},
		{
			"last line wins",
			ptr(`{"id":"1","score":{"acc":0},"error":null}
{"id":"2","score":{},"error":"HTTP 500"}
{"id":"1","score":{"acc":1},"error":null}
`),
			map[string]Outcome{
				"1": {ID: "1", Score: map[string]float64{"acc": 1}},
				"2": {ID: "2", Score: map[string]float64{}, Error: ptr("HTTP 500")},
			},
		},
		{
			"an error retried and answered",
			ptr(`{"id":"2","score":{},"error":"HTTP 500"}` + "\n" + `{"id":"2","score":{"acc":1},"error":null}` + "\n"),
			map[string]Outcome{"2": {ID: "2", Score: map[string]float64{"acc": 1}}},
		},
		{
			"a cut-short last line is skipped",
			ptr(`{"id":"1","score":{"acc":1},"error":null}` + "\n" + `{"id":"1","score":{"acc":0},"err`),
			map[string]Outcome{"1": {ID: "1", Score: map[string]float64{"acc": 1}}},
		},
		{
			"a complete last line without a newline counts",
			ptr(`{"id":"1","score":{"acc":1},"error":null}`),
			map[string]Outcome{"1": {ID: "1", Score: map[string]float64{"acc": 1}}},
		},
		{
			"junk, blank lines and lines without an id are skipped",
			ptr("not json\n\n{}\n[1]\n" + `{"id":"","score":{"acc":1}}` + "\n" + `{"id":"3","score":{"acc":1},"error":null,"groups":{"subject":"x"}}` + "\n"),
			map[string]Outcome{"3": {ID: "3", Score: map[string]float64{"acc": 1}, Groups: map[string]string{"subject": "x"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), JournalFile)
			if tt.content != nil {
				writeFile(t, path, *tt.content)
			}
			got, err := LastOutcomes(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LastOutcomes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOpenJournalAfterCutShortLine resumes a journal whose last line a crash cut short: the
// next record starts on a line of its own, and only the cut line is lost.
func TestOpenJournalAfterCutShortLine(t *testing.T) {
	const b = `{"id":"b","prompt":null,"response":null,"target":"","extracted":null,"score":null,"error":null,"latency_ms":0,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0},"attempts":0}` + "\n"
	tests := []struct {
		name     string
		existing *string // nil: no file
		want     string
	}{
		{"new file", nil, b},
		{"empty file", ptr(""), b},
		{"complete last line", ptr(`{"id":"a"}` + "\n"), `{"id":"a"}` + "\n" + b},
		{"cut-short last line", ptr(`{"id":"a"}` + "\n" + `{"id":"c","sc`), `{"id":"a"}` + "\n" + `{"id":"c","sc` + "\n" + b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), JournalFile)
			if tt.existing != nil {
				writeFile(t, path, *tt.existing)
			}
			j, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Append(&Record{ID: "b"}); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("journal (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJournalConcurrentAppend appends from many goroutines, past several fsync batches:
// every line is whole.
func TestJournalConcurrentAppend(t *testing.T) {
	const workers, each = 8, 100 // 800 lines: three batched fsyncs
	path := filepath.Join(t.TempDir(), JournalFile)
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("%d-%d", w, i)
				if err := j.Append(&Record{ID: id, Prompt: strings.Repeat("p", 1000), Score: map[string]float64{"acc": 1}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	last, err := LastOutcomes(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != workers*each {
		t.Errorf("journal has %d ids, want %d", len(last), workers*each)
	}
}
