package native

import (
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/providers/openai"
)

// intercept wraps d with the run's interceptors, combined in order: system prompts joined
// by newlines, params_add and params_rename merged (later wins), params_remove
// accumulated, remove_reasoning if any asks. Their headers go to the client (headers). d
// unchanged when there are none.
func intercept(d openai.Doer, ints []*config.Interceptor) openai.Doer {
	if len(ints) == 0 {
		return d
	}
	w := &openai.Intercepted{Next: d, Edits: &openai.BodyEdits{Add: map[string]any{}, Rename: map[string]string{}}}
	for _, i := range ints {
		if i.SystemPrompt != "" {
			if w.SystemPrompt != "" {
				w.SystemPrompt += "\n"
			}
			w.SystemPrompt += i.SystemPrompt
		}
		w.RemoveReasoning = w.RemoveReasoning || i.RemoveReasoning
		for k, v := range i.ParamsAdd {
			w.Edits.Add[k] = v
		}
		w.Edits.Remove = append(w.Edits.Remove, i.ParamsRemove...)
		for k, v := range i.ParamsRename {
			w.Edits.Rename[k] = v
		}
	}
	return w
}

// headers are the endpoint's headers with the interceptors' added (an endpoint's header
// wins); secrets are the interceptors' header values, to keep out of messages.
func headers(ep map[string]string, ints []*config.Interceptor) (out map[string]string, secrets []string) {
	if len(ints) == 0 {
		return ep, nil
	}
	out = map[string]string{}
	for _, i := range ints {
		for k, v := range i.Headers {
			out[k] = v
			secrets = append(secrets, v)
		}
	}
	for k, v := range ep {
		out[k] = v
	}
	return out, secrets
}
