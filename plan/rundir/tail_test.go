package rundir

import (
	"os"
	"path/filepath"
	"testing"

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

// TestTail feeds a journal in steps, as a run appends to it, and checks what each Read
// returns.
func TestTail(t *testing.T) {
	steps := []struct {
		name      string
		append    string
		replace   bool // write the file anew instead of appending
		want      []Outcome
		restarted bool
	}{
		{name: "missing file"},
		{name: "two answers", append: `{"id":"a","error":null}` + "\n" + `{"id":"b","error":null}` + "\n", want: []Outcome{{ID: "a"}, {ID: "b"}}},
		{name: "nothing new"},
		{name: "half a line is not read", append: `{"id":"c","err`},
		{name: "the rest of it", append: `or":"HTTP 500"}` + "\n", want: []Outcome{{ID: "c", Error: ptr("HTTP 500")}}},
		{name: "junk skipped", append: "not json\n{}\n" + `{"id":"a","error":"judge","score":{}}` + "\n", want: []Outcome{{ID: "a", Error: ptr("judge"), Score: map[string]float64{}}}},
		{name: "a replaced, shorter journal is read from the start", append: `{"id":"z","error":null}` + "\n", replace: true, want: []Outcome{{ID: "z"}}, restarted: true},
	}
	path := filepath.Join(t.TempDir(), JournalFile)
	tail := NewTail(path)
	for _, s := range steps {
		switch {
		case s.replace:
			writeFile(t, path, s.append)
		case s.append != "":
			appendFile(t, path, s.append)
		}
		got, restarted, err := tail.Read()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Fatalf("%s: outcomes (-want +got):\n%s", s.name, diff)
		}
		if restarted != s.restarted {
			t.Fatalf("%s: restarted = %v, want %v", s.name, restarted, s.restarted)
		}
	}
}
