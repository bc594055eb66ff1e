// Package openai is evalplan's client for OpenAI-compatible model servers: the one request
// interface (Doer) that the native harness sends through, its HTTP implementation, and the
// model listing used to probe and fingerprint endpoints.
//
// Layers such as retry, concurrency limiting, caching and journaling wrap a Doer.
package openai

import "context"

// Kinds of request.
const (
	KindChat        = "chat"
	KindCompletions = "completions"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one generation request, independent of transport.
type Request struct {
	// Kind is KindChat or KindCompletions.
	Kind  string
	Model string
	// Messages is used for chat requests.
	Messages []Message
	// Prompt is used for completions requests.
	Prompt      string
	Temperature *float64
	TopP        *float64
	MaxTokens   int
	Seed        *int
	Stop        []string
	// Edits change the JSON body after it is built (an interceptor's params_add,
	// params_remove, params_rename); nil for none.
	Edits *BodyEdits
	// Body, when set, is a caller's own JSON request body, sent as it is in place of the
	// fields above (Kind still chooses the path): what a harness behind evalplan's local
	// endpoint asked for, logprobs, n and all. Its stream and stream_options are dropped —
	// the reply is always read whole — and the Response carries the reply's Body.
	Body []byte
}

// Usage is the token usage a server reports.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Response is a completed generation.
type Response struct {
	Text         string
	FinishReason string
	Usage        Usage
	// Attempts counts the HTTP attempts made, retries included; 0 for a cache hit.
	Attempts int
	// Cached is set when the response came from the response cache.
	Cached bool
	// ReasoningWords counts the words of reasoning an interceptor's remove_reasoning
	// stripped from Text.
	ReasoningWords int
	// Body is the server's whole reply, for a Request with a Body.
	Body []byte
}

// Doer sends one request and returns its response.
type Doer interface {
	Do(ctx context.Context, req *Request) (*Response, error)
}
