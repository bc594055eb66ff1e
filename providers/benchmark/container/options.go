package container

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
)

// The launcher-like options of a container run: its judge, its interceptors (mapped onto
// nemo-evaluator's adapter_config), its environment (env, env_from_host) and the host
// dataset cache. Secrets among them reach the container only through the Docker API.

// JudgeKeyVar carries the judge endpoint's API key into the container; the run config
// names it (config.params.extra.judge.api_key), never the key itself.
const JudgeKeyVar = "EVALPLAN_JUDGE_API_KEY"

// HFHome is where the host dataset cache (the evalplan block's hf_cache) is mounted in the
// container; HF_HOME points at it.
const HFHome = "/root/.cache/huggingface"

// reservedEnv are the variables evalplan sets itself; env and env_from_host may not.
var reservedEnv = map[string]bool{APIKeyVar: true, JudgeKeyVar: true, "HF_HOME": true}

// applyJudge sets config.params.extra.judge from the run's judge endpoint, as simple-evals,
// mtbench and safety-eval read it: url (the full chat completions URL), model_id and
// api_key, the NAME of the variable holding the key. Keys the user set in
// params.extra.judge win. The spec's Extra is never modified.
func applyJudge(rc *RunConfig, spec *plan.RunSpec) {
	j := spec.Judge
	if j == nil || j.URL == "" {
		return
	}
	extra := make(map[string]any, len(rc.Config.Params.Extra)+1)
	for k, v := range rc.Config.Params.Extra {
		extra[k] = v
	}
	judge := map[string]any{
		"url":      strings.TrimRight(j.URL, "/") + "/chat/completions",
		"model_id": j.Model,
	}
	if j.APIKey != "" {
		judge["api_key"] = JudgeKeyVar
	}
	if user, ok := extra["judge"].(map[string]any); ok {
		for k, v := range user {
			judge[k] = v
		}
	}
	extra["judge"] = judge
	rc.Config.Params.Extra = extra
}

// adapterConfig maps the run's interceptors onto nemo-evaluator's adapter_config, in its
// legacy flat form, which nemo-evaluator expands into its default interceptor chain
// (endpoint, caching, logging, ...) plus system_message, reasoning and payload_modifier.
// Several interceptors combine in order: system prompts joined by newlines, params_add and
// renames merged (later wins), removals and headers accumulated. nil when none.
func adapterConfig(ints []*config.Interceptor) map[string]any {
	if len(ints) == 0 {
		return nil
	}
	var prompts, remove []string
	add, rename, headers := map[string]any{}, map[string]string{}, map[string]string{}
	reasoning := false
	for _, i := range ints {
		if i.SystemPrompt != "" {
			prompts = append(prompts, i.SystemPrompt)
		}
		reasoning = reasoning || i.RemoveReasoning
		for k, v := range i.ParamsAdd {
			add[k] = v
		}
		remove = append(remove, i.ParamsRemove...)
		for k, v := range i.ParamsRename {
			rename[k] = v
		}
		for k, v := range i.Headers {
			headers[k] = v
		}
	}
	ac := map[string]any{}
	if len(prompts) > 0 {
		ac["use_system_prompt"] = true
		ac["custom_system_prompt"] = strings.Join(prompts, "\n")
	}
	if reasoning {
		ac["process_reasoning_traces"] = true
		ac["end_reasoning_token"] = "</think>"
	}
	if len(add) > 0 {
		ac["params_to_add"] = add
	}
	if len(remove) > 0 {
		ac["params_to_remove"] = remove
	}
	if len(rename) > 0 {
		ac["params_to_rename"] = rename
	}
	if len(headers) > 0 {
		ac["headers_to_add"] = headers
	}
	if len(ac) == 0 {
		return nil
	}
	return ac
}

// interceptorHeaders reports whether the run's interceptors add headers, whose values may
// be secret: the run config then goes to a private file and the run directory gets a
// redacted copy.
func interceptorHeaders(spec *plan.RunSpec) bool {
	for _, i := range spec.Interceptors {
		if len(i.Headers) > 0 {
			return true
		}
	}
	return false
}

// redactRunConfig removes the secrets of rc before it is written to the run directory.
func redactRunConfig(rc *RunConfig, spec *plan.RunSpec) {
	if secretURL(spec.Endpoint) {
		rc.Target.APIEndpoint.URL = "(redacted: the endpoint URL is secret)"
	}
	if ac := rc.Target.APIEndpoint.AdapterConfig; ac != nil {
		if h, ok := ac["headers_to_add"].(map[string]string); ok {
			red := make(map[string]string, len(h))
			for k := range h {
				red[k] = config.Redacted
			}
			copied := make(map[string]any, len(ac))
			for k, v := range ac {
				copied[k] = v
			}
			copied["headers_to_add"] = red
			rc.Target.APIEndpoint.AdapterConfig = copied
		}
	}
	if secretURL(spec.Judge) {
		if j, ok := rc.Config.Params.Extra["judge"].(map[string]any); ok {
			copied := make(map[string]any, len(j))
			for k, v := range j {
				copied[k] = v
			}
			copied["url"] = "(redacted: the judge URL is secret)"
			extra := make(map[string]any, len(rc.Config.Params.Extra))
			for k, v := range rc.Config.Params.Extra {
				extra[k] = v
			}
			extra["judge"] = copied
			rc.Config.Params.Extra = extra
		}
	}
}

// privateConfig reports whether the run config holds a secret and must not be written to
// the run directory as it is.
func privateConfig(spec *plan.RunSpec) bool {
	return secretURL(spec.Endpoint) || secretURL(spec.Judge) || interceptorHeaders(spec)
}

// runOpts are what a run adds to its container: variables, mounts, and the secrets the
// container's log must not show.
type runOpts struct {
	env, binds, secrets []string
	// scrub are the secrets that are scrubbed from the files the evaluator writes: the
	// judge's, header values and variables passed from the host. (Every env value is
	// redacted from the log, but a plain value such as "true" must not be scrubbed from
	// results files.)
	scrub []string
}

// runOptions is the run's environment and the dataset cache. environ is evalplan's
// environment, which env_from_host reads; nil means the process environment.
func (r *Runner) runOptions(spec *plan.RunSpec, environ []string) (*runOpts, error) {
	o := &runOpts{}
	env := map[string]string{}
	if spec.Endpoint != nil && spec.Endpoint.APIKey != "" {
		env[APIKeyVar] = spec.Endpoint.APIKey
	}
	if spec.Judge != nil && spec.Judge.APIKey != "" {
		env[JudgeKeyVar] = spec.Judge.APIKey
	}
	s := cfgSuite(r.Config, spec.Suite)
	if s != nil {
		userEnv, fromHost := config.RunEnv(s, override(s, spec))
		host := envMap(environ)
		for _, n := range fromHost {
			v, ok := host[n]
			if !ok {
				return nil, fmt.Errorf("env_from_host names %s, which is not set in evalplan's environment; set it, or remove it from env_from_host", n)
			}
			userEnv[n] = v
			o.scrub = append(o.scrub, v)
		}
		for k, v := range userEnv {
			if reservedEnv[k] {
				return nil, fmt.Errorf("env sets %s, which evalplan sets itself; remove it", k)
			}
			env[k] = v
			o.secrets = append(o.secrets, v)
		}
	}
	if r.Config != nil && r.Config.Settings.HFCache != "" {
		dir := r.Config.Settings.HFCache
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create the dataset cache (hf_cache): %w", err)
		}
		o.binds = append(o.binds, dir+":"+HFHome)
		env["HF_HOME"] = HFHome
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o.env = append(o.env, k+"="+env[k])
	}
	if spec.Judge != nil {
		o.secrets = append(o.secrets, spec.Judge.Secrets()...)
		o.scrub = append(o.scrub, spec.Judge.Secrets()...)
	}
	for _, i := range spec.Interceptors {
		for _, v := range i.Headers {
			o.secrets = append(o.secrets, v)
			o.scrub = append(o.scrub, v)
		}
	}
	return o, nil
}

// override is the benchmark block of a run's benchmark, nil when none.
func override(s *config.Suite, spec *plan.RunSpec) *config.Override {
	return s.Override(spec.Benchmark, taskName(spec.Task))
}

// taskName is t's name, "" for none.
func taskName(t *schema.Task) string {
	if t == nil {
		return ""
	}
	return t.Name
}

// envMap is environ (KEY=VALUE lines) as a map; nil environ means the process environment.
func envMap(environ []string) map[string]string {
	if environ == nil {
		environ = os.Environ()
	}
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
