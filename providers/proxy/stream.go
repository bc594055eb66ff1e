package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/evalplan/evalplan/providers/openai"
)

// writeStream answers a request that asked for stream: true with server-sent events made
// from the complete reply: one chunk holding every choice (a chat message becomes a delta),
// a usage chunk when the request asked for one, and [DONE].
func writeStream(w http.ResponseWriter, kind string, reply []byte, includeUsage bool) {
	var m map[string]any
	if err := json.Unmarshal(reply, &m); err != nil {
		writeError(w, http.StatusBadGateway, "evalplan_proxy_error", "the model endpoint's reply is not JSON")
		return
	}
	usage := m["usage"]
	delete(m, "usage")
	if kind == openai.KindChat {
		m["object"] = "chat.completion.chunk"
		if choices, ok := m["choices"].([]any); ok {
			for _, c := range choices {
				if c, ok := c.(map[string]any); ok {
					if msg, ok := c["message"]; ok {
						c["delta"] = msg
						delete(c, "message")
					}
				}
			}
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	event(w, m)
	if includeUsage && usage != nil {
		u := map[string]any{"choices": []any{}, "usage": usage}
		for _, k := range []string{"id", "object", "created", "model"} {
			if v, ok := m[k]; ok {
				u[k] = v
			}
		}
		event(w, u)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func event(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", b)
}
