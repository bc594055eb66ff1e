package config

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/evalplan/evalplan/schema"
)

// Interceptor is an interceptor block: transforms applied to every model request of the
// runs that list it, native and container runs alike. Every field but Headers changes what
// the model is asked or what its reply is scored on and is part of those runs' identity
// (see Canonical); Headers are operational and may be sensitive.
type Interceptor struct {
	Name string
	// SystemPrompt is prepended to the request's system message, or becomes it when there is
	// none (nemo-evaluator's system_message interceptor, strategy "prepend").
	SystemPrompt string
	// RemoveReasoning strips everything up to and including </think> from replies.
	RemoveReasoning bool
	// ParamsAdd are set in the request body; ParamsRemove are removed from it; ParamsRename
	// renames body keys (old → new). Applied in that order: remove, rename, add.
	ParamsAdd    map[string]any
	ParamsRemove []string
	ParamsRename map[string]string
	// Headers are added to every request. Sensitive: never in state, plans or logs.
	Headers   map[string]string
	DeclRange hcl.Range
}

// Canonical is the identity content of an interceptor: its result-affecting fields, empty
// ones left out. Its name and headers are not part of it.
func (i *Interceptor) Canonical() map[string]any {
	out := map[string]any{}
	if i.SystemPrompt != "" {
		out["system_prompt"] = i.SystemPrompt
	}
	if i.RemoveReasoning {
		out["remove_reasoning"] = true
	}
	if len(i.ParamsAdd) > 0 {
		out["params_add"] = i.ParamsAdd
	}
	if len(i.ParamsRemove) > 0 {
		out["params_remove"] = i.ParamsRemove
	}
	if len(i.ParamsRename) > 0 {
		out["params_rename"] = i.ParamsRename
	}
	return out
}

// RunInterceptors are the interceptors of a suite's benchmark, in order: the suite's, then
// those its benchmark block (ov, may be nil) adds; each at most once.
func (c *Config) RunInterceptors(s *Suite, ov *Override) []*Interceptor {
	if s == nil {
		return nil
	}
	names := append([]string(nil), s.Interceptors...)
	if ov != nil {
		names = append(names, ov.Interceptors...)
	}
	var out []*Interceptor
	seen := map[string]bool{}
	for _, n := range names {
		if i := c.Interceptors[n]; i != nil && !seen[n] {
			seen[n] = true
			out = append(out, i)
		}
	}
	return out
}

// RunEnv is the environment a suite's benchmark passes to its container: the suite's env,
// overridden key by key by the benchmark block's, and the host variable names of both
// (sorted, without repeats). Values may be sensitive.
func RunEnv(s *Suite, ov *Override) (env map[string]string, fromHost []string) {
	env = map[string]string{}
	seen := map[string]bool{}
	for _, o := range []*ContainerEnv{suiteEnv(s), overrideEnv(ov)} {
		if o == nil {
			continue
		}
		for k, v := range o.Env {
			env[k] = v
		}
		for _, n := range o.FromHost {
			if !seen[n] {
				seen[n] = true
				fromHost = append(fromHost, n)
			}
		}
	}
	sort.Strings(fromHost)
	return env, fromHost
}

func suiteEnv(s *Suite) *ContainerEnv {
	if s == nil {
		return nil
	}
	return &s.ContainerEnv
}

func overrideEnv(ov *Override) *ContainerEnv {
	if ov == nil {
		return nil
	}
	return &ov.ContainerEnv
}

// ContainerEnv is the env and env_from_host attributes of a suite or of its benchmark
// block: operational, for container runs only.
type ContainerEnv struct {
	// Env holds variables set in the container; values may be sensitive and are passed
	// through the Docker API only.
	Env map[string]string
	// FromHost names variables whose values are read from evalplan's environment at apply.
	FromHost []string
}

// envNamePattern is a portable environment variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// containerEnv decodes env and env_from_host of a suite or benchmark block.
func (l *loader) containerEnv(c *hcl.BodyContent) ContainerEnv {
	var out ContainerEnv
	if a := c.Attributes["env"]; a != nil {
		if m, ok := l.strMap(a, true); ok {
			for k := range m {
				if !envNamePattern.MatchString(k) {
					l.errorf(a.Expr.Range().Ptr(), "Invalid env", "%q is not an environment variable name: use letters, digits and underscores, not starting with a digit.", k)
					delete(m, k)
				}
			}
			out.Env = m
		}
	}
	if a := c.Attributes["env_from_host"]; a != nil && l.notSensitive(a, "env_from_host", "variable names are written to plan files") {
		if list, ok := l.strList(a); ok {
			for _, n := range list {
				if !envNamePattern.MatchString(n) {
					l.errorf(a.Expr.Range().Ptr(), "Invalid env_from_host", "%q is not an environment variable name: use letters, digits and underscores, not starting with a digit.", n)
					continue
				}
				out.FromHost = append(out.FromHost, n)
			}
		}
	}
	return out
}

// interceptorRefs decodes interceptors = [interceptor.NAME, ...].
func (l *loader) interceptorRefs(c *hcl.BodyContent) []string {
	a := c.Attributes["interceptors"]
	if a == nil {
		return nil
	}
	list, ok := l.refList(a.Expr, schema.BlockInterceptor)
	if !ok {
		return nil
	}
	return l.dedupe(a, list, "interceptor.")
}

// decodeInterceptor decodes an interceptor block.
func (l *loader) decodeInterceptor(b *hcl.Block) *Interceptor {
	i := &Interceptor{Name: b.Labels[0], DeclRange: b.DefRange}
	c := l.content(b.Body, schema.InterceptorBody())
	prefix := "interceptor." + i.Name + "."
	given := len(c.Attributes)
	for n, a := range c.Attributes {
		if n != "headers" && !l.notSensitive(a, prefix+n, identityReason) {
			delete(c.Attributes, n)
		}
	}
	if v, ok := l.str(c.Attributes["system_prompt"]); ok {
		i.SystemPrompt = v
	}
	if v, ok := l.boolean(c.Attributes["remove_reasoning"]); ok {
		i.RemoveReasoning = v
	}
	if a := c.Attributes["params_add"]; a != nil {
		i.ParamsAdd = l.extra(a)
	}
	if a := c.Attributes["params_remove"]; a != nil {
		i.ParamsRemove, _ = l.strList(a)
	}
	if a := c.Attributes["params_rename"]; a != nil {
		i.ParamsRename, _ = l.strMap(a, false)
	}
	if a := c.Attributes["headers"]; a != nil {
		i.Headers, _ = l.strMap(a, true)
	}
	if given == 0 {
		l.warnf(b.DefRange.Ptr(), "Empty interceptor", "%s", fmt.Sprintf("interceptor %q changes nothing; give it system_prompt, remove_reasoning, params_add, params_remove, params_rename or headers, or remove it.", i.Name))
	}
	return i
}
