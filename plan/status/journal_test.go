package status

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/google/go-cmp/cmp"
)

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestJournal feeds a journal in steps, as an apply appends to it, and checks the counts
// after each Read.
func TestJournal(t *testing.T) {
	steps := []struct {
		name   string
		append string
		want   Counts
	}{
		{"missing file", "", Counts{}},
		{"two answers", `{"id":"a","error":null}` + "\n" + `{"id":"b","error":null}` + "\n", Counts{Lines: 2, Done: 2}},
		{"half a line is not counted", `{"id":"c","err`, Counts{Lines: 2, Done: 2}},
		{"the rest of it", `or":"HTTP 500"}` + "\n", Counts{Lines: 3, Done: 3, Errors: 1, LastErrors: []string{"c: HTTP 500"}}},
		{"the error retried and answered", `{"id":"c","error":null}` + "\n", Counts{Lines: 4, Done: 3, LastErrors: []string{"c: HTTP 500"}}},
		{"an answer turned error, junk skipped", `{"id":"a","error":"judge"}` + "\nnot json\n{}\n", Counts{Lines: 5, Done: 3, Errors: 1, LastErrors: []string{"c: HTTP 500", "a: judge"}}},
		{"only the last errors are kept", `{"id":"d","error":"e1"}` + "\n" + `{"id":"e","error":"e2"}` + "\n", Counts{Lines: 7, Done: 5, Errors: 3, LastErrors: []string{"a: judge", "d: e1", "e: e2"}}},
	}
	path := filepath.Join(t.TempDir(), rundir.JournalFile)
	j := NewJournal(path)
	for _, s := range steps {
		if s.append != "" {
			appendFile(t, path, s.append)
		}
		got, err := j.Read()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Fatalf("%s: counts (-want +got):\n%s", s.name, diff)
		}
	}
	// A replaced, shorter journal is read again from the start.
	if err := os.WriteFile(path, []byte(`{"id":"z","error":null}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := j.Read()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Counts{Lines: 1, Done: 1}, got); diff != "" {
		t.Errorf("after replacement (-want +got):\n%s", diff)
	}
}
