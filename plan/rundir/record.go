package rundir

// Record is one line of samples.jsonl: one finished sample, answered or failed.
type Record struct {
	ID string `json:"id"`
	// Prompt is a list of chat messages for chat endpoints and a string for completions.
	Prompt any `json:"prompt"`
	// Response is nil when the request failed.
	Response *string `json:"response"`
	Target   string  `json:"target"`
	// Extracted maps metric name to the extracted answer as the reference yields it
	// (GSM8K's no-match is "[invalid]"); empty for a failed request.
	Extracted map[string]*string `json:"extracted"`
	// Score maps metric name to the sample's score; empty for a failed request.
	Score map[string]float64 `json:"score"`
	// Error is nil for an answered and scored sample. A sample whose judge failed or gave
	// an unparsable answer has its Response and an Error.
	Error     *string `json:"error"`
	LatencyMS float64 `json:"latency_ms"`
	Usage     Usage   `json:"usage"`
	Attempts  int     `json:"attempts"`
	// Judge is the judge endpoint's raw answer, when one was asked.
	Judge *string `json:"judge,omitempty"`
	// Groups maps subscore group to the sample's name in it, such as
	// {"subject": "anatomy", "category": "STEM"}; absent for tasks without subscores.
	Groups map[string]string `json:"groups,omitempty"`
}

// Usage is the token usage of one request, as OpenAI-compatible endpoints report it.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Outcome is the part of a journal line that says how a sample ended, without its texts:
// what comparisons, progress and resuming need, decoded at a fraction of a Record's cost.
type Outcome struct {
	ID string `json:"id"`
	// Score maps metric name to the sample's score; empty or nil for a failed request.
	Score map[string]float64 `json:"score"`
	// Error is nil for an answered and scored sample.
	Error *string `json:"error"`
	// Groups maps subscore group to the sample's name in it; nil for tasks without
	// subscores.
	Groups map[string]string `json:"groups,omitempty"`
}
