package proxy

import (
	"encoding/json"
	"time"

	"github.com/evalplan/evalplan/providers/openai"
)

// Entry is one line of the request journal (rundir.RequestsFile): a request a harness sent
// to the proxy and what it got. It never holds a key or the endpoint's URL.
type Entry struct {
	// Seq numbers the requests of one proxy from 1, in arrival order.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Path is the request's path, e.g. /v1/chat/completions.
	Path string `json:"path"`
	// Request is the body the harness sent (prompt and parameters).
	Request json.RawMessage `json:"request,omitempty"`
	// Reply is the text of the reply's first choice; FinishReason its finish reason.
	Reply string `json:"reply,omitempty"`
	// Body is the whole reply the harness got (status 200), which a later attempt of the run
	// replays (Replay).
	Body         json.RawMessage `json:"body,omitempty"`
	FinishReason string          `json:"finish_reason,omitempty"`
	Usage        openai.Usage    `json:"usage"`
	// LatencyMS is the time from the request's arrival to its answer.
	LatencyMS float64 `json:"latency_ms"`
	// Cached marks a reply from the response cache or replayed from an earlier attempt's
	// journal (Replayed); Attempts counts the HTTP attempts.
	Cached   bool `json:"cached,omitempty"`
	Replayed bool `json:"replayed,omitempty"`
	Attempts int  `json:"attempts"`
	// Status is the HTTP status the harness got; Error why it was not 200.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}
