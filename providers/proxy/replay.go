package proxy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/evalplan/evalplan/providers/openai"
)

// Replay holds the answered requests of earlier attempts of a run, read from their request
// journal: a request the harness sends again is answered with the same reply, without
// asking the model. The journal line of an answer is written before the harness reads the
// answer, so a run killed at any moment (kill -9 of evalplan included) never asks the model
// twice for what the harness already got; the response cache, whose writes are batched,
// need not have it yet.
type Replay map[string][]byte

// ReadReplay reads the request journal at path into a Replay: the reply of every request
// answered with 200 that recorded its whole reply, the last one per request. A missing file
// is an empty Replay; lines that do not parse (a line cut short by a crash) are skipped.
func ReadReplay(path string) (Replay, error) {
	out := Replay{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read request journal: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, rerr := br.ReadBytes('\n')
		var e Entry
		if len(line) > 0 && json.Unmarshal(line, &e) == nil && e.Status == 200 && len(e.Body) > 0 && len(e.Request) > 0 {
			if key, err := replayKey(e.Path, e.Request); err == nil {
				out[key] = e.Body
			}
		}
		if errors.Is(rerr, io.EOF) {
			return out, nil
		}
		if rerr != nil {
			return nil, fmt.Errorf("read request journal %s: %w", path, rerr)
		}
	}
}

// replayKey identifies a request: its path and its canonical body (openai.CanonicalBody,
// the response cache's notion of the same request).
func replayKey(path string, body []byte) (string, error) {
	b, err := openai.CanonicalBody(body)
	if err != nil {
		return "", err
	}
	return path + "\n" + string(b), nil
}

// replyText is the text and finish reason of a reply body's first choice, for the journal.
func replyText(body []byte) (text, finish string) {
	var r struct {
		Choices []struct {
			Text    *string `json:"text"`
			Message *struct {
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if json.Unmarshal(body, &r) != nil || len(r.Choices) == 0 {
		return "", ""
	}
	c := r.Choices[0]
	switch {
	case c.Message != nil && c.Message.Content != nil:
		text = *c.Message.Content
	case c.Text != nil:
		text = *c.Text
	}
	return text, c.FinishReason
}
