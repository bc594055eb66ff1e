package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// wireChoice is one choice of a completion or of a streamed chunk. Chat responses carry
// message (or delta, when streamed); completions responses carry text.
type wireChoice struct {
	Message *struct {
		Content *string `json:"content"`
	} `json:"message"`
	Delta *struct {
		Content *string `json:"content"`
	} `json:"delta"`
	Text         *string `json:"text"`
	FinishReason *string `json:"finish_reason"`
}

// text is the choice's generated text, whichever field carries it.
func (c *wireChoice) text() string {
	switch {
	case c.Message != nil && c.Message.Content != nil:
		return *c.Message.Content
	case c.Delta != nil && c.Delta.Content != nil:
		return *c.Delta.Content
	case c.Text != nil:
		return *c.Text
	}
	return ""
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
	data, err := io.ReadAll(io.LimitReader(r, maxBody))
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
	if w.Choices == nil || len(*w.Choices) == 0 {
		return nil, fmt.Errorf("%w: no choices", ErrMalformed)
	}
	c := (*w.Choices)[0]
	resp := &Response{Text: c.text()}
	if c.FinishReason != nil {
		resp.FinishReason = *c.FinishReason
	}
	if w.Usage != nil {
		resp.Usage = *w.Usage
	}
	return resp, nil
}

// readStream parses server-sent events: data lines holding chunks, ended by "data: [DONE]".
// The text of choice 0 is concatenated; usage comes from the chunk that carries it
// (stream_options.include_usage). A stream cut before [DONE] and before a finish reason is
// io.ErrUnexpectedEOF; a stream without any choice is malformed.
func readStream(r io.Reader) (*Response, error) {
	br := bufio.NewReader(io.LimitReader(r, maxBody))
	var (
		text     strings.Builder
		resp     Response
		choices  bool
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
			text.WriteString(c.text())
			if c.FinishReason != nil && *c.FinishReason != "" {
				resp.FinishReason = *c.FinishReason
				finished = true
			}
		}
		return false, nil
	}
	for {
		line, err := br.ReadBytes('\n')
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
				return streamResult(&resp, &text, choices)
			}
		case line[0] == ':':
			// Comment (keep-alive).
		default:
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			if string(field) == "data" {
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
				return streamResult(&resp, &text, choices)
			}
			if !choices {
				return nil, fmt.Errorf("%w: event stream ended without any choice", ErrMalformed)
			}
			return nil, fmt.Errorf("event stream cut before [DONE]: %w", io.ErrUnexpectedEOF)
		}
	}
}

func streamResult(resp *Response, text *strings.Builder, choices bool) (*Response, error) {
	if !choices {
		return nil, fmt.Errorf("%w: event stream has no choices", ErrMalformed)
	}
	resp.Text = text.String()
	return resp, nil
}
