package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Fixture paths.
const (
	gsmFile  = "testdata/gsm8k.jsonl"
	arcFile  = "testdata/arc.jsonl"
	mathFile = "testdata/math500.jsonl"
	mmluFile = "testdata/college_computer_science_test.csv"
)

var allFixtures = []string{gsmFile, arcFile, mathFile, mmluFile}

// start serves cfg on an httptest server; both close at the end of the test.
func start(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, httptestServer(t, s)
}

// httptestServer serves s until the end of the test.
func httptestServer(t testing.TB, s *Server) *httptest.Server {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs before ts.Close, releasing hung requests
	return ts
}

// do sends a request and returns the response and its body.
func do(t testing.TB, ctx context.Context, c *http.Client, method, url string, body any, header ...string) (*http.Response, []byte, error) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// mustDo is do that fails the test on a transport error.
func mustDo(t testing.TB, c *http.Client, method, url string, body any, header ...string) (*http.Response, []byte) {
	t.Helper()
	resp, data, err := do(t, context.Background(), c, method, url, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp, data
}

func chatBody(model, prompt string) map[string]any {
	return map[string]any{"model": model, "messages": []map[string]any{
		{"role": "system", "content": "You are helpful."},
		{"role": "user", "content": prompt},
	}}
}

func completionBody(model, prompt string) map[string]any {
	return map[string]any{"model": model, "prompt": prompt}
}

// fixtureQuestion is one fixture record as the native tasks would prompt it.
type fixtureQuestion struct {
	id, gold, prompt string
}

// fixtureQuestions reads every fixture record and builds the prompt evalplan's native task
// sends for it (reference/scoring.md).
func fixtureQuestions(t testing.TB) []fixtureQuestion {
	t.Helper()
	var out []fixtureQuestion
	eachLine := func(path string, fn func(row int, line []byte)) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for row := 0; sc.Scan(); row++ {
			fn(row, sc.Bytes())
		}
	}
	eachLine(gsmFile, func(row int, line []byte) {
		var r struct{ Question, Answer string }
		json.Unmarshal(line, &r)
		gold := r.Answer[strings.LastIndex(r.Answer, "#### ")+5:]
		out = append(out, fixtureQuestion{
			id: strconv.Itoa(row), gold: gold,
			prompt: "Solve the following math problem step by step. The last line of your response should be of the form \"#### ANSWER\" where ANSWER is the final number, with no units.\n\n" + r.Question,
		})
	})
	eachLine(mathFile, func(row int, line []byte) {
		var r struct {
			Problem  string `json:"problem"`
			Answer   string `json:"answer"`
			UniqueID string `json:"unique_id"`
		}
		json.Unmarshal(line, &r)
		out = append(out, fixtureQuestion{id: r.UniqueID, gold: r.Answer, prompt: mathPrompt(r.Problem)})
	})
	eachLine(arcFile, func(row int, line []byte) {
		var r struct {
			ID       string `json:"id"`
			Question struct {
				Stem    string `json:"stem"`
				Choices []struct{ Text, Label string }
			} `json:"question"`
			AnswerKey string `json:"answerKey"`
		}
		json.Unmarshal(line, &r)
		var opts []string
		gold := ""
		for i, c := range r.Question.Choices {
			opts = append(opts, c.Text)
			if c.Label == r.AnswerKey {
				gold = string(rune('A' + i))
			}
		}
		out = append(out, fixtureQuestion{id: r.ID, gold: gold, prompt: mcPrompt(r.Question.Stem, opts)})
	})
	f, err := os.Open(mmluFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		out = append(out, fixtureQuestion{id: "college_computer_science_test/" + strconv.Itoa(i), gold: row[5], prompt: mcPrompt(row[0], row[1:5])})
	}
	return out
}

func mathPrompt(problem string) string {
	return "Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\n" +
		problem + "\n\nRemember to put your answer on its own line after \"Answer:\", and you do not need to use a \\boxed command."
}

func mcPrompt(question string, options []string) string {
	letters := "ABCDEFGH"[:len(options)]
	var b strings.Builder
	b.WriteString("Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of " + letters + ". Think step by step before answering.\n\n")
	b.WriteString(question)
	b.WriteString("\n\n")
	for i, o := range options {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(letters[i:i+1] + ") " + o)
	}
	return strings.TrimSpace(b.String())
}
