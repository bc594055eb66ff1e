package sim

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDatasetRecognition(t *testing.T) {
	// MMLU with CRLF line ends (the question with quoted newlines keeps them as "\n").
	crlf := filepath.Join(t.TempDir(), "college_computer_science_test.csv")
	data, err := os.ReadFile(mmluFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crlf, []byte(strings.ReplaceAll(string(data), "\n", "\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	qs := fixtureQuestions(t)
	for _, files := range [][]string{allFixtures, {gsmFile, arcFile, mathFile, crlf}} {
		cfg := DefaultConfig()
		cfg.Datasets = files
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Records(); got != len(qs) {
			t.Errorf("%v: %d records, want %d", files, got, len(qs))
		}
		for _, q := range qs {
			id, ok := s.Lookup(q.prompt)
			if !ok || id != q.id {
				t.Errorf("Lookup(prompt of %s) = %q, %v", q.id, id, ok)
			}
			gold, _, ok := s.Expected("sim-model", q.id)
			if !ok || gold != q.gold {
				t.Errorf("Expected(%s) gold = %q, %v; want %q", q.id, gold, ok, q.gold)
			}
		}
	}
}

func TestLookupForms(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Datasets = allFixtures
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const janet = "Janet\u2019s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?"
	tests := []struct {
		name, prompt, wantID string
	}{
		{"prompt is the question", janet, "0"},
		{"question with surrounding space", "\n  " + janet + "\n", "0"},
		{"question paragraph", "Solve this.\n\n" + janet + "\n\nThink.", "0"},
		{"few-shot completions prompt", "Question: What is 1+1?\nAnswer: 2\n\nQuestion: " + janet + "\nAnswer:", "0"},
		{"ARC stem alone", "Which statement best describes the energy changes that occur while a child is riding on a sled down a steep, snow-covered hill?", "NYSEDREGENTS_2008_8_34"},
		{"unknown", "What is the capital of France?", ""},
		{"unknown paragraphs", "a\n\nb\n\n\n\nc", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, _ := s.Lookup(tt.prompt)
			if id != tt.wantID {
				t.Errorf("Lookup = %q, want %q", id, tt.wantID)
			}
		})
	}
}

func TestDatasetErrors(t *testing.T) {
	tests := []struct {
		name, file, content, wantErr string
	}{
		{"unrecognised record", "x.jsonl", `{"foo": 1}`, "line 1: unrecognised record"},
		{"bad JSON", "x.jsonl", "{\"question\": \"q\", \"answer\": \"#### 1\"}\n{", "line 2:"},
		{"GSM8K without ####", "x.jsonl", `{"question": "q", "answer": "1"}`, `no "#### " line`},
		{"ARC bad answerKey", "x.jsonl", `{"id":"a","question":{"stem":"s","choices":[{"text":"t","label":"A"}]},"answerKey":"E"}`, `answerKey "E"`},
		{"MMLU bad letter", "x.csv", "q,a,b,c,d,E\n", `row 0: answer "E"`},
		{"MMLU too few fields", "x.csv", "q,A\n", "row 0: 2 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{Datasets: []string{path}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and containing %q", err, path, tt.wantErr)
			}
		})
	}
	if _, err := New(Config{Datasets: []string{"testdata/missing.jsonl"}}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// Reference extraction rules (reference/scoring.md), enough to check what the replies state.
var (
	flexibleRE = regexp.MustCompile(`(-?[$0-9.,]{2,})|(-?[0-9]+)`)
	letterRE   = regexp.MustCompile(`(?i)Answer\s*:[ \t]*([A-E])`)
	mathRE     = regexp.MustCompile(`(?i)Answer\s*:\s*([^\n]+)`)
)

// stated extracts the answer a reply states, the way the reference would (letters
// upper-cased, so the "lower" style counts as stating its letter).
func stated(kind answerKind, text string) string {
	switch kind {
	case kindNumber:
		all := flexibleRE.FindAllStringSubmatch(text, -1)
		if len(all) == 0 {
			return ""
		}
		m := all[len(all)-1]
		x := m[1]
		if x == "" {
			x = m[2]
		}
		x = strings.NewReplacer(",", "", "$", "").Replace(strings.TrimSpace(x))
		return strings.TrimSuffix(x, ".")
	case kindLetter:
		if m := letterRE.FindStringSubmatch(text); m != nil {
			return strings.ToUpper(m[1])
		}
	default:
		if m := mathRE.FindStringSubmatch(text); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return ""
}

func TestAnswersScore(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Datasets = allFixtures
	cfg.Models = []string{"m1", "m2", "m3"}
	cfg.Accuracy = 0.5
	s, ts := start(t, cfg)
	qs := fixtureQuestions(t)
	seen := map[bool]int{}
	for _, model := range cfg.Models {
		for _, q := range qs {
			resp, body := mustDo(t, ts.Client(), "POST", ts.URL+RouteChat, chatBody(model, q.prompt))
			var got chatResult
			if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", model, q.id, resp.StatusCode, body)
			}
			a, ok := s.Answer(model, q.id)
			if !ok || got.Choices[0].Message.Content != a.Text {
				t.Fatalf("%s %s: reply %q, Answer %+v", model, q.id, got.Choices[0].Message.Content, a)
			}
			rec := s.idx.byID[q.id]
			goldNorm := strings.ReplaceAll(q.gold, ",", "")
			if rec.kind != kindNumber {
				goldNorm = q.gold
			}
			if x := stated(rec.kind, a.Text); (x == goldNorm) != a.Correct || x != a.Stated {
				t.Errorf("%s %s: reply %q states %q; gold %q, Stated %q, Correct %v", model, q.id, a.Text, x, q.gold, a.Stated, a.Correct)
			}
			seen[a.Correct]++
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("with accuracy 0.5 want both correct and wrong replies, got %v", seen)
	}
}

func TestCorrectnessDeterminism(t *testing.T) {
	mk := func(seed int64, acc float64, per map[string]float64) *Server {
		cfg := DefaultConfig()
		cfg.Datasets = allFixtures
		cfg.Seed, cfg.Accuracy, cfg.ModelAccuracy = seed, acc, per
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	qs := fixtureQuestions(t)
	a, b, c := mk(1, 0.7, nil), mk(1, 0.7, nil), mk(2, 0.7, nil)
	for _, q := range qs {
		x, _ := a.Answer("sim-model", q.id)
		y, _ := b.Answer("sim-model", q.id)
		if diff := cmp.Diff(x, y); diff != "" {
			t.Errorf("same seed, %s differs:\n%s", q.id, diff)
		}
	}

	// Over many ids, the fraction correct is the accuracy; another seed or model gives
	// another set; accuracy 0 and 1 are exact; per-model accuracy overrides.
	const n = 20000
	var correct, differSeed, differModel int
	for i := range n {
		id := "id/" + strconv.Itoa(i)
		ok := unit(a.sampleHash("sim-model", id, saltCorrect)) < 0.7
		if ok {
			correct++
		}
		if ok != (unit(c.sampleHash("sim-model", id, saltCorrect)) < 0.7) {
			differSeed++
		}
		if ok != (unit(a.sampleHash("other", id, saltCorrect)) < 0.7) {
			differModel++
		}
	}
	if f := float64(correct) / n; f < 0.69 || f > 0.71 {
		t.Errorf("fraction correct %.4f, want 0.70±0.01", f)
	}
	if differSeed < n/10 || differModel < n/10 {
		t.Errorf("seed changes %d of %d outcomes, model %d; want many", differSeed, n, differModel)
	}
	tests := []struct {
		name  string
		s     *Server
		model string
		want  bool
	}{
		{"accuracy 0", mk(1, 0, nil), "sim-model", false},
		{"accuracy 1", mk(1, 1, nil), "sim-model", true},
		{"per-model 1", mk(1, 0, map[string]float64{"good": 1}), "good", true},
		{"per-model, other model 0", mk(1, 0, map[string]float64{"good": 1}), "sim-model", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range qs {
				if _, ok, _ := tt.s.Expected(tt.model, q.id); ok != tt.want {
					t.Errorf("%s: correct %v, want %v", q.id, ok, tt.want)
				}
			}
		})
	}
}

func TestStyles(t *testing.T) {
	render := func(styles []style, name, x string) string {
		for _, st := range styles {
			if st.name == name {
				var b strings.Builder
				st.render(&b, x)
				return b.String()
			}
		}
		return "no style " + name
	}
	tests := []struct {
		styles  []style
		name, x string
		want    string
	}{
		{numberStyles, "hash", "18", "Let's work through it step by step.\nCombining the quantities gives 18.\n#### 18"},
		{numberStyles, "dollar", "18", "The answer is $18."},
		{numberStyles, "dollars", "1000", "So she makes 1,000 dollars.\n#### 1,000"},
		{numberStyles, "bold", "18", "**18**"},
		{numberStyles, "prose", "18", "First there are 2 parts, then 3 more steps, and after 12 checks the total is 18."},
		{letterStyles, "answer", "B", "Let's think step by step.\nAnswer: B"},
		{letterStyles, "bold", "B", "**Answer: B**"},
		{letterStyles, "option", "B", "The correct option is B.\nAnswer: B"},
		{letterStyles, "lower", "B", "answer: b"},
		{mathStyles, "answer", `\frac{1}{2}`, "Working through the problem step by step.\nAnswer: \\frac{1}{2}"},
		{mathStyles, "final", "3", "The final answer is 3.\nAnswer: 3"},
		{mathStyles, "lower", "3", "answer: 3"},
	}
	for _, tt := range tests {
		if got := render(tt.styles, tt.name, tt.x); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.name, tt.x, got, tt.want)
		}
	}

	// Every style is chosen for some hash, and wrong answers always differ from gold.
	for _, styles := range [][]style{numberStyles, letterStyles, mathStyles} {
		seen := map[string]bool{}
		for h := range uint64(100) {
			seen[pickStyle(styles, mix64(h)).name] = true
		}
		if len(seen) != len(styles) {
			t.Errorf("styles chosen: %v, want all %d", seen, len(styles))
		}
	}
	for h := range uint64(200) {
		hh := mix64(h)
		for _, g := range []string{"18", "-3", "0", "2.5", "x"} {
			if w := wrongNumber(g, hh); w == g {
				t.Errorf("wrongNumber(%q) = gold", g)
			}
		}
		for _, n := range []int{3, 4, 5} {
			for g := range n {
				gold := string(rune('A' + g))
				if w := wrongLetter(gold, n, hh); w == gold || w[0] < 'A' || int(w[0]-'A') >= n {
					t.Errorf("wrongLetter(%s, %d) = %s", gold, n, w)
				}
			}
		}
		if w := wrongMath(`\frac{1}{2}`, hh); w == `\frac{1}{2}` {
			t.Errorf("wrongMath = gold")
		}
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "-1000": "-1,000", "65960": "65,960",
		"1450000": "1,450,000", "2.5": "2.5", "10000.5": "10000.5",
	} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		text      string
		stop      []string
		max       int
		want, fin string
	}{
		{"a b c", nil, 0, "a b c", "stop"},
		{"a b c", nil, 3, "a b c", "stop"},
		{"a  b\nc d", nil, 2, "a  b", "length"},
		{"a b Question: c", []string{"Question:", "", "zz"}, 0, "a b ", "stop"},
		{"a b Question: c", []string{"b", "a"}, 0, "", "stop"},
	}
	for _, tt := range tests {
		got, fin := limit(tt.text, tt.stop, tt.max)
		if got != tt.want || fin != tt.fin {
			t.Errorf("limit(%q, %q, %d) = %q, %q; want %q, %q", tt.text, tt.stop, tt.max, got, fin, tt.want, tt.fin)
		}
	}
}

func TestLookupDuplicatesAndLongQuestions(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "astro_test.csv")
	csvData := "Why is Mars red?,iron,dust,paint,light,A\nWhy is Mars red?,rust,sand,clay,lava,C\nWhat is 2+3?,1,2,3,5,D\n"
	long := "Para one.\n\nPara two.\n\n" + strings.Repeat("x\n\n", 12) + "Final para?"
	jsonPath := filepath.Join(dir, "long.jsonl")
	line, _ := json.Marshal(map[string]string{"question": long, "answer": "#### 5"})
	line2, _ := json.Marshal(map[string]string{"question": "What is 2+3?", "answer": "#### 5"})
	for path, data := range map[string]string{csvPath: csvData, jsonPath: string(line) + "\n" + string(line2) + "\n"} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Config{Datasets: []string{csvPath, jsonPath}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, prompt, want string }{
		{"first duplicate", mcPrompt("Why is Mars red?", []string{"iron", "dust", "paint", "light"}), "astro_test/0"},
		{"second duplicate", mcPrompt("Why is Mars red?", []string{"rust", "sand", "clay", "lava"}), "astro_test/1"},
		{"duplicate, other options", mcPrompt("Why is Mars red?", []string{"a", "b", "c", "d"}), "astro_test/0"},
		{"same question in MMLU and GSM8K, MC prompt", mcPrompt("What is 2+3?", []string{"1", "2", "3", "5"}), "astro_test/2"},
		{"same question in MMLU and GSM8K, plain prompt", "Solve.\n\nWhat is 2+3?", "1"},
		{"many paragraphs", "Solve.\n\n" + long + "\n\nRemember.", "0"},
		{"many paragraphs, cut short", "Solve.\n\n" + strings.TrimSuffix(long, "?"), ""},
	}
	for _, tt := range tests {
		if got, _ := s.Lookup(tt.prompt); got != tt.want {
			t.Errorf("%s: Lookup = %q, want %q", tt.name, got, tt.want)
		}
	}
}
