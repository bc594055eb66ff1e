package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// BodyEdits change a request's JSON body after it is built: Remove deletes top-level keys,
// Rename moves a key's value to a new key (old → new), Add sets keys (replacing values).
// Applied in that order. They are part of the response-cache key.
type BodyEdits struct {
	Add    map[string]any
	Remove []string
	Rename map[string]string
}

func (e *BodyEdits) empty() bool {
	return e == nil || (len(e.Add) == 0 && len(e.Remove) == 0 && len(e.Rename) == 0)
}

// apply returns body with the edits made; body unchanged when there are none.
func (e *BodyEdits) apply(body []byte) ([]byte, error) {
	if e.empty() {
		return body, nil
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("edit request body: %w", err)
	}
	for _, k := range e.Remove {
		delete(m, k)
	}
	for old, nw := range e.Rename {
		if v, ok := m[old]; ok {
			delete(m, old)
			m[nw] = v
		}
	}
	for k, v := range e.Add {
		m[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("edit request body: %w", err)
	}
	return out, nil
}

// EndReasoning ends a reasoning section in a reply; StripReasoning removes everything up to
// and including its last occurrence.
const EndReasoning = "</think>"

// StripReasoning returns text without its reasoning (everything up to and including the
// last </think>, surrounding newlines trimmed) and the number of words removed; text
// unchanged and 0 when it has no </think>. An unfinished reasoning section (<think>
// without </think>) is kept, as nemo-evaluator's reasoning interceptor keeps it.
func StripReasoning(text string) (string, int) {
	i := strings.LastIndex(text, EndReasoning)
	if i < 0 {
		return text, 0
	}
	reasoning := text[:i]
	return strings.Trim(text[i+len(EndReasoning):], "\n"), len(strings.Fields(strings.ReplaceAll(reasoning, "<think>", " ")))
}

// Intercepted applies an evalplan interceptor to every request through Next: it prepends a
// system prompt to chat requests (joined to an existing system message by a newline, as
// nemo-evaluator's system_message interceptor does by default), attaches body edits, and
// strips reasoning from replies. Put it outermost, above the cache, so that the cache key
// holds the transformed request; the cache stores the unstripped reply.
type Intercepted struct {
	Next            Doer
	SystemPrompt    string
	RemoveReasoning bool
	Edits           *BodyEdits
}

// Do implements Doer.
func (d *Intercepted) Do(ctx context.Context, req *Request) (*Response, error) {
	r := *req
	if d.SystemPrompt != "" && (r.Kind == KindChat || r.Kind == "") {
		r.Messages = withSystem(r.Messages, d.SystemPrompt)
	}
	if !d.Edits.empty() {
		r.Edits = d.Edits
	}
	res, err := d.Next.Do(ctx, &r)
	if err != nil || res == nil || !d.RemoveReasoning {
		return res, err
	}
	out := *res
	out.Text, out.ReasoningWords = StripReasoning(res.Text)
	return &out, nil
}

// withSystem returns msgs with prompt prepended to their system message, or a system
// message first when there is none. msgs is not modified.
func withSystem(msgs []Message, prompt string) []Message {
	out := make([]Message, 0, len(msgs)+1)
	var system []string
	for _, m := range msgs {
		if m.Role == "system" {
			system = append(system, m.Content)
			continue
		}
		out = append(out, m)
	}
	content := prompt
	if len(system) > 0 {
		content += "\n" + strings.Join(system, "\n")
	}
	return append([]Message{{Role: "system", Content: content}}, out...)
}
