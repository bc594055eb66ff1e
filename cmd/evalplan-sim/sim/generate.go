package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody is the largest request body accepted.
const maxBody = 32 << 20

// genRequest is the part of a chat or completions request the simulator reads.
type genRequest struct {
	Model               string        `json:"model"`
	Messages            []chatMessage `json:"messages"`
	Prompt              promptField   `json:"prompt"`
	Stream              bool          `json:"stream"`
	MaxTokens           int           `json:"max_tokens"`
	MaxCompletionTokens int           `json:"max_completion_tokens"`
	Stop                stopField     `json:"stop"`
}

type chatMessage struct {
	Role    string         `json:"role"`
	Content messageContent `json:"content"`
}

// messageContent is a message's text: a string, or the text parts of a content array.
type messageContent string

// UnmarshalJSON accepts a string, null, or [{"type":"text","text":...}, ...].
func (c *messageContent) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = messageContent(s)
	case len(b) > 0 && b[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		var sb strings.Builder
		for _, p := range parts {
			if p.Type == "text" || p.Type == "" {
				sb.WriteString(p.Text)
			}
		}
		*c = messageContent(sb.String())
	}
	return nil
}

// promptField is a completions prompt: a string, or the first of an array of strings.
type promptField struct {
	text string
	set  bool
}

// UnmarshalJSON accepts a string, an array of strings (the first is used) or token arrays
// (never recognised).
func (p *promptField) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		p.set = true
		return json.Unmarshal(b, &p.text)
	case len(b) > 0 && b[0] == '[':
		p.set = true
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		if len(items) > 0 && len(items[0]) > 0 && items[0][0] == '"' {
			return json.Unmarshal(items[0], &p.text)
		}
	}
	return nil
}

// stopField is a string or an array of strings.
type stopField []string

// UnmarshalJSON accepts null, a string or an array of strings.
func (s *stopField) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = stopField{one}
	case len(b) > 0 && b[0] == '[':
		var many []string
		if err := json.Unmarshal(b, &many); err != nil {
			return err
		}
		*s = many
	}
	return nil
}

// usage is OpenAI's token usage, counted here in whitespace-separated words.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
}

type chatChoice struct {
	Index        int        `json:"index"`
	Message      *chatDelta `json:"message,omitempty"`
	Delta        *chatDelta `json:"delta,omitempty"`
	FinishReason *string    `json:"finish_reason"`
}

// chatDelta is a chat message or streamed delta. Content is nil only where no content is
// sent (a final chunk); an empty answer is sent as "", which a client scores.
type chatDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

type completionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *usage             `json:"usage,omitempty"`
}

type completionChoice struct {
	Index        int       `json:"index"`
	Text         string    `json:"text"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason *string   `json:"finish_reason"`
}

// reply is a generated answer ready to encode.
type reply struct {
	chat    bool
	id      string
	model   string
	created int64
	text    string
	finish  string
	usage   usage
}

// generate answers a chat or completions request (route rChat or rCompletions).
func (s *Server) generate(w http.ResponseWriter, r *http.Request, route int) int {
	chat := route == rChat
	var req genRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "", "Request body too large.")
		}
		return writeError(w, http.StatusBadRequest, "invalid_request_error", "", "Invalid JSON body: "+err.Error())
	}
	if !s.models[req.Model] {
		return writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			fmt.Sprintf("The model `%s` does not exist.", req.Model))
	}
	prompt, promptTokens, msg := promptOf(&req, chat)
	if msg != "" {
		return writeError(w, http.StatusBadRequest, "invalid_request_error", "", msg)
	}
	maxTokens := req.MaxTokens
	if req.MaxCompletionTokens > 0 {
		maxTokens = req.MaxCompletionTokens
	}
	if maxTokens < 0 {
		return writeError(w, http.StatusBadRequest, "invalid_request_error", "", "max_tokens must not be negative.")
	}
	if n := s.cfg.MaxModelLen; n > 0 && promptTokens+maxTokens > n {
		return writeError(w, http.StatusBadRequest, "invalid_request_error", "", fmt.Sprintf(
			"This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			n, promptTokens+maxTokens, promptTokens, maxTokens))
	}

	seq := s.seq.Add(1)
	fault := s.pickFault(seq)
	if fault != faultNone {
		s.m.faults[fault].Add(1)
	}
	switch fault {
	case f429:
		w.Header().Set("Retry-After", strconv.Itoa(s.cfg.Faults.RetryAfter))
		return writeError(w, http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", "Simulated rate limit: retry later.")
	case fHang:
		return s.hang(w, r, route)
	}
	ctx := r.Context()
	running, ok := s.acquire(ctx)
	if !ok {
		return codeNone
	}
	defer s.release()
	if !delay(ctx, s.preempt(s.latency(seq), running)) {
		return codeNone
	}

	rp := reply{chat: chat, model: req.Model, created: time.Now().Unix()}
	if chat {
		rp.id = "chatcmpl-sim-" + strconv.FormatInt(seq, 10)
	} else {
		rp.id = "cmpl-sim-" + strconv.FormatInt(seq, 10)
	}
	switch fault {
	case f500:
		return writeError(w, http.StatusInternalServerError, "server_error", "", "Simulated internal server error.")
	case fMalformed:
		return writeMalformed(w, &rp, req.Stream)
	case fEmpty:
		return writeEmpty(w, &rp, req.Stream)
	case fDrop:
		return s.drop(w, route)
	}

	text := UnknownReply
	if rec := s.idx.lookup(prompt); rec != nil {
		text = s.answer(req.Model, rec).Text
	}
	rp.text, rp.finish = limit(text, req.Stop, maxTokens)
	ct := countWords(rp.text)
	rp.usage = usage{PromptTokens: promptTokens, CompletionTokens: ct, TotalTokens: promptTokens + ct}
	if req.Stream {
		s.m.streamed.Add(1)
		return writeStream(w, &rp)
	}
	return writeReply(w, &rp)
}

// promptOf returns the text to recognise (the last user message, or the completions
// prompt), the prompt's word count, and a message when the request is invalid.
func promptOf(req *genRequest, chat bool) (prompt string, words int, invalid string) {
	if !chat {
		if !req.Prompt.set {
			return "", 0, "prompt is required."
		}
		return req.Prompt.text, countWords(req.Prompt.text), ""
	}
	if len(req.Messages) == 0 {
		return "", 0, "messages must not be empty."
	}
	user := -1
	for i, m := range req.Messages {
		words += countWords(string(m.Content))
		if m.Role == "user" {
			user = i
		}
	}
	if user < 0 {
		user = len(req.Messages) - 1
	}
	return string(req.Messages[user].Content), words, ""
}

// pickFault chooses the fault, if any, of generation request seq.
func (s *Server) pickFault(seq int64) int {
	f := &s.cfg.Faults
	if f.First > 0 && seq > f.First {
		return faultNone
	}
	u := unit(s.requestHash(seq, saltFault))
	for i, rate := range [...]float64{f429: f.Rate429, f500: f.Rate500, fHang: f.RateHang, fMalformed: f.RateMalformed, fDrop: f.RateDrop, fEmpty: f.RateEmpty} {
		if i == faultNone || rate <= 0 {
			continue
		}
		if u < rate {
			return i
		}
		u -= rate
	}
	return faultNone
}

// latency is request seq's delay: Latency plus its jitter.
func (s *Server) latency(seq int64) time.Duration {
	d := s.cfg.Latency
	if s.cfg.Jitter > 0 {
		d += time.Duration(unit(s.requestHash(seq, saltJitter)) * float64(s.cfg.Jitter))
	}
	return d
}

// hang holds the request until the client goes away or the server closes; then the
// connection is closed without a response.
func (s *Server) hang(w http.ResponseWriter, r *http.Request, route int) int {
	if s.hangHook != nil {
		s.hangHook()
	}
	select {
	case <-r.Context().Done():
		return codeNone
	case <-s.done:
		return s.drop(w, route)
	}
}

// drop closes the connection without a response. It counts the request itself, before
// the client can see the connection close, and returns codeCounted.
func (s *Server) drop(w http.ResponseWriter, route int) int {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return writeError(w, http.StatusInternalServerError, "server_error", "", "Simulated dropped connection (this connection cannot be hijacked).")
	}
	s.m.requests[route][codeIndex(codeNone)].Add(1)
	conn.Close()
	return codeCounted
}

// writeMalformed answers 200 with a truncated body.
func writeMalformed(w http.ResponseWriter, rp *reply, stream bool) int {
	object := "text_completion"
	if rp.chat {
		object = "chat.completion"
	}
	body := `{"id":"` + rp.id + `","object":"` + object + `","model":"` + rp.model + `","choices":[{"index":0,"message":{"role":"assistant","content":"I am`
	if stream {
		w.Header().Set("Content-Type", "text/event-stream")
		body = "data: " + body + "\n\n"
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(body))
	return http.StatusOK
}

// writeEmpty answers 200 with well-formed JSON that carries no answer: a chat message whose
// content is null, or an empty choices list for completions. Streamed, the chat chunks
// carry the role and the finish reason but no content; the completions stream has no
// choices.
func writeEmpty(w http.ResponseWriter, rp *reply, stream bool) int {
	head := `{"id":"` + rp.id + `","object":"text_completion","model":"` + rp.model + `",`
	body := head + `"choices":[]}`
	if rp.chat {
		head = `{"id":"` + rp.id + `","object":"chat.completion","model":"` + rp.model + `",`
		body = head + `"choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"stop"}]}`
	}
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(body + "\n"))
		return http.StatusOK
	}
	events := "data: " + body + "\n\n"
	if rp.chat {
		events = "data: " + head + `"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}` + "\n\n" +
			"data: " + head + `"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(events + "data: [DONE]\n\n"))
	return http.StatusOK
}

// writeReply writes a complete (non-streamed) response.
func writeReply(w http.ResponseWriter, rp *reply) int {
	finish := rp.finish
	var v any
	if rp.chat {
		v = &chatResponse{ID: rp.id, Object: "chat.completion", Created: rp.created, Model: rp.model, Usage: &rp.usage,
			Choices: []chatChoice{{Message: &chatDelta{Role: "assistant", Content: &rp.text}, FinishReason: &finish}}}
	} else {
		v = &completionResponse{ID: rp.id, Object: "text_completion", Created: rp.created, Model: rp.model, Usage: &rp.usage,
			Choices: []completionChoice{{Text: rp.text, FinishReason: &finish}}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
	return http.StatusOK
}

// wordsPerChunk is how many words each streamed chunk carries.
const wordsPerChunk = 3

// writeStream writes the reply as server-sent events: content chunks, a final chunk with
// the finish reason and usage, then [DONE].
func writeStream(w http.ResponseWriter, rp *reply) int {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	send := func(v any) bool {
		buf.Reset()
		buf.WriteString("data: ")
		enc.Encode(v) // appends "\n"
		buf.WriteByte('\n')
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	text := rp.text
	first := true
	for first || text != "" {
		piece := text[:chunkEnd(text, wordsPerChunk)]
		text = text[len(piece):]
		if !send(rp.chunk(piece, first, nil, nil)) {
			return http.StatusOK
		}
		first = false
	}
	finish := rp.finish
	if !send(rp.chunk("", false, &finish, &rp.usage)) {
		return http.StatusOK
	}
	w.Write([]byte("data: [DONE]\n\n"))
	rc.Flush()
	return http.StatusOK
}

// chunk builds one streamed chunk; the first chat chunk carries the assistant role.
func (rp *reply) chunk(piece string, first bool, finish *string, u *usage) any {
	if !rp.chat {
		return &completionResponse{ID: rp.id, Object: "text_completion", Created: rp.created, Model: rp.model, Usage: u,
			Choices: []completionChoice{{Text: piece, FinishReason: finish}}}
	}
	d := &chatDelta{}
	if piece != "" || first {
		d.Content = &piece
	}
	if first {
		d.Role = "assistant"
	}
	return &chatResponse{ID: rp.id, Object: "chat.completion.chunk", Created: rp.created, Model: rp.model, Usage: u,
		Choices: []chatChoice{{Delta: d, FinishReason: finish}}}
}

// isSpace reports ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// countWords counts whitespace-separated words.
func countWords(s string) int {
	n := 0
	in := false
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// chunkEnd returns the end of the first n words of s and the white space after them.
func chunkEnd(s string, n int) int {
	i := wordsEnd(s, n)
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// wordsEnd returns the end of the first n words of s (len(s) when s has fewer).
func wordsEnd(s string, n int) int {
	i := 0
	for w := 0; w < n; w++ {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return i
		}
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
	}
	return i
}

// limit applies stop strings and a max_tokens limit (in words) to text, returning the text
// and finish reason.
func limit(text string, stop []string, maxTokens int) (string, string) {
	finish := "stop"
	for _, st := range stop {
		if st == "" {
			continue
		}
		if i := strings.Index(text, st); i >= 0 {
			text = text[:i]
		}
	}
	if maxTokens > 0 && countWords(text) > maxTokens {
		text, finish = text[:wordsEnd(text, maxTokens)], "length"
	}
	return text, finish
}
