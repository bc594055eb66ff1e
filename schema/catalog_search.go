package schema

import (
	"fmt"
	"slices"
	"strings"
)

// Query selects catalog tasks in Search. Empty fields select everything.
type Query struct {
	// Text matches, case-insensitively, a substring of the qualified name or the description.
	Text string
	// Category matches exactly, in hyphen or underscore form.
	Category string
	// Harness matches exactly ("simple_evals", "native").
	Harness string
	// EndpointType matches exactly an evalplan endpoint type (chat, completions) or a raw
	// catalog endpoint type (vlm, embedding).
	EndpointType string
	// Capability matches exactly a required capability (logprobs, vision, embedding).
	Capability string
	// Container matches exactly the container name ("simple-evals").
	Container string
}

// Search returns the tasks that match every non-empty field of q, sorted by Name.
func (c *Catalog) Search(q Query) []*Task {
	text := strings.ToLower(q.Text)
	category := normalizeCategory(q.Category)
	var out []*Task
	for _, t := range c.tasks {
		switch {
		case text != "" && !strings.Contains(strings.ToLower(t.Name), text) &&
			!strings.Contains(strings.ToLower(t.Description), text):
		case category != "" && t.Category != category:
		case q.Harness != "" && t.Harness != q.Harness:
		case q.EndpointType != "" && !slices.Contains(t.EndpointTypes, q.EndpointType) &&
			!slices.Contains(t.RawEndpointTypes, q.EndpointType):
		case q.Capability != "" && !slices.Contains(t.Capabilities, q.Capability):
		case q.Container != "" && t.Container != q.Container:
		default:
			out = append(out, t)
		}
	}
	return out
}

// Supports reports whether an endpoint of endpointType ("chat" when empty, the endpoint
// default) with the given capabilities can serve the task; when it cannot, why says what the
// task needs, e.g. "needs a completions endpoint" or "needs capability logprobs".
func (t *Task) Supports(endpointType string, capabilities []string) (ok bool, why string) {
	if endpointType == "" {
		endpointType = "chat"
	}
	var needs []string
	if len(t.EndpointTypes) > 0 && !slices.Contains(t.EndpointTypes, endpointType) {
		needs = append(needs, fmt.Sprintf("a %s endpoint", strings.Join(t.EndpointTypes, " or ")))
	}
	var missing []string
	for _, c := range t.Capabilities {
		if !slices.Contains(capabilities, c) {
			missing = append(missing, c)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		needs = append(needs, "capability "+missing[0])
	default:
		needs = append(needs, "capabilities "+strings.Join(missing, ", "))
	}
	if len(needs) == 0 {
		return true, ""
	}
	return false, "needs " + strings.Join(needs, " and ")
}
