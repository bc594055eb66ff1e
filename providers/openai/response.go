package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// wireChoice is one choice of a completion or of a streamed chunk. Chat responses carry
// message (or delta, when streamed); completions responses carry text.
type wireChoice struct {
	Message      *wireMessage `json:"message"`
	Delta        *wireMessage `json:"delta"`
	Text         *string      `json:"text"`
	FinishReason *string      `json:"finish_reason"`
}

// wireMessage is a chat message or a streamed delta. Refusal is set, instead of content,
// when the model declines to answer.
type wireMessage struct {
	Content *string `json:"content"`
	Refusal *string `json:"refusal"`
}

// text is the choice's generated text, whichever field carries it, and whether any field
// carried it: a null or absent content is no answer, an empty string is one.
func (c *wireChoice) text() (string, bool) {
	switch {
	case c.Message != nil && c.Message.Content != nil:
		return *c.Message.Content, true
	case c.Delta != nil && c.Delta.Content != nil:
		return *c.Delta.Content, true
	case c.Text != nil:
		return *c.Text, true
	}
	return "", false
}

// refusal is the choice's refusal text, if any.
func (c *wireChoice) refusal() string {
	for _, m := range []*wireMessage{c.Message, c.Delta} {
		if m != nil && m.Refusal != nil && *m.Refusal != "" {
			return *m.Refusal
		}
	}
	return ""
}

// noAnswer is the error of a choice without text: a refusal or a missing content.
func noAnswer(refusal, finish string) error {
	if refusal != "" {
		return fmt.Errorf("%w: the model refused: %q", ErrNoAnswer, truncate(refusal, maxRefusal))
	}
	if finish != "" {
		return fmt.Errorf("%w: choice has no content (finish_reason %q)", ErrNoAnswer, finish)
	}
	return fmt.Errorf("%w: choice has no content", ErrNoAnswer)
}

// maxRefusal is how much of a refusal an error quotes.
const maxRefusal = 200

// truncate shortens s to at most n bytes, on a rune boundary, marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// wireResponse is a completion body or one streamed chunk.
type wireResponse struct {
	Choices *[]wireChoice `json:"choices"`
	Usage   *Usage        `json:"usage"`
	Error   *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// readCompletion parses a non-streamed completion body.
func readCompletion(r io.Reader) (*Response, error) {
	data, err := readLimited(r, maxBody)
	if err != nil {
		return nil, err
	}
	var w wireResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Error != nil {
		return nil, fmt.Errorf("%w: server error: %s", ErrMalformed, w.Error.Message)
	}
	if w.Choices == nil {
		return nil, fmt.Errorf("%w: no choices", ErrMalformed)
	}
	if len(*w.Choices) == 0 {
		return nil, fmt.Errorf("%w: empty choices list", ErrNoAnswer)
	}
	c := (*w.Choices)[0]
	resp := &Response{}
	if c.FinishReason != nil {
		resp.FinishReason = *c.FinishReason
	}
	text, ok := c.text()
	if !ok {
		return nil, noAnswer(c.refusal(), resp.FinishReason)
	}
	resp.Text = text
	if w.Usage != nil {
		resp.Usage = *w.Usage
	}
	return resp, nil
}

// readStream parses server-sent events: data lines holding chunks, ended by "data: [DONE]".
// The text of choice 0 is concatenated; usage comes from the chunk that carries it
// (stream_options.include_usage). A stream cut before [DONE] and before a finish reason is
// io.ErrUnexpectedEOF; a stream without any choice is malformed, and one whose choices never
// carry content (a refusal, say) has no answer.
func readStream(r io.Reader) (*Response, error) {
	br := bufio.NewReaderSize(r, maxEventLine)
	var (
		text     strings.Builder
		resp     Response
		choices  bool
		answered bool
		refusal  strings.Builder
		finished bool
		data     []byte
	)
	dispatch := func() (done bool, err error) {
		if len(data) == 0 {
			return false, nil
		}
		defer func() { data = data[:0] }()
		if string(bytes.TrimSpace(data)) == "[DONE]" {
			return true, nil
		}
		var w wireResponse
		if err := json.Unmarshal(data, &w); err != nil {
			return false, fmt.Errorf("%w: stream chunk: %v", ErrMalformed, err)
		}
		if w.Error != nil {
			return false, fmt.Errorf("%w: server error in stream: %s", ErrMalformed, w.Error.Message)
		}
		if w.Usage != nil {
			resp.Usage = *w.Usage
		}
		if w.Choices != nil && len(*w.Choices) > 0 {
			choices = true
			c := (*w.Choices)[0]
			t, ok := c.text()
			if text.Len()+len(t) > maxBody {
				return false, tooLarge("streamed text", maxBody)
			}
			text.WriteString(t)
			answered = answered || ok
			if r := c.refusal(); refusal.Len() <= maxRefusal && len(r) <= maxEventLine {
				refusal.WriteString(r)
			}
			if c.FinishReason != nil && *c.FinishReason != "" {
				resp.FinishReason = *c.FinishReason
				finished = true
			}
		}
		return false, nil
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, tooLarge("event stream line", maxEventLine)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		eof := err != nil
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			// A blank line ends an event; at EOF, dispatch what is pending.
			done, derr := dispatch()
			if derr != nil {
				return nil, derr
			}
			if done {
				return streamResult(&resp, &text, choices, answered, refusal.String())
			}
		case line[0] == ':':
			// Comment (keep-alive).
		default:
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			if string(field) == "data" {
				if len(data)+len(value) > maxEventLine {
					return nil, tooLarge("event", maxEventLine)
				}
				if len(data) > 0 {
					data = append(data, '\n')
				}
				data = append(data, value...)
			}
		}
		if eof {
			done, derr := dispatch()
			if derr != nil {
				return nil, derr
			}
			if done || finished {
				return streamResult(&resp, &text, choices, answered, refusal.String())
			}
			if !choices {
				return nil, fmt.Errorf("%w: event stream ended without any choice", ErrMalformed)
			}
			return nil, fmt.Errorf("event stream cut before [DONE]: %w", io.ErrUnexpectedEOF)
		}
	}
}

func streamResult(resp *Response, text *strings.Builder, choices, answered bool, refusal string) (*Response, error) {
	if !choices {
		return nil, fmt.Errorf("%w: event stream has no choices", ErrMalformed)
	}
	if !answered {
		return nil, noAnswer(refusal, resp.FinishReason)
	}
	resp.Text = text.String()
	return resp, nil
}
