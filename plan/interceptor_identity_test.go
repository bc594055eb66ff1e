package plan_test

import (
	"fmt"
	"testing"

	"github.com/evalplan/evalplan/plan"
)

const interceptorSuite = `
endpoint "a" {
  url   = "http://127.0.0.1:1/v1"
  model = "m-a"
}
%s
suite "s" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.math500"]
  params {
    limit_samples = 10
  }
  %s
}
`

// identities plans src and returns each run's identity by address.
func identities(t *testing.T, e *env, src string) map[string]string {
	t.Helper()
	e.write(src)
	p := e.plan(plan.Options{Refresh: true})
	out := map[string]string{}
	for _, a := range p.Actions {
		if a.Run != nil {
			out[a.Address] = a.Identity
		}
	}
	return out
}

func TestInterceptorIdentity(t *testing.T) {
	const addr = `suite.s.run["native.math500"]["a"]`
	// The identity of this run as evalplan computed it before interceptors existed: a
	// configuration without interceptors must keep it byte for byte.
	const before = "ac20243da500b557c30a4ee2d441319fa30ffe7c532fe976116fc0c967c179f8"
	e := newEnv(t)
	none := identities(t, e, fmt.Sprintf(interceptorSuite, "", ""))[addr]
	if none != before {
		t.Errorf("identity without interceptors = %s, want the unchanged %s", none, before)
	}
	tests := []struct {
		name, blocks, use string
		same              bool
	}{
		{"declared, unused", `interceptor "sys" { system_prompt = "Be brief." }`, "", true},
		{"headers only", `interceptor "h" { headers = { "X-Tenant" = "t" } }`, "interceptors = [interceptor.h]", true},
		{"system prompt", `interceptor "sys" { system_prompt = "Be brief." }`, "interceptors = [interceptor.sys]", false},
		{"remove reasoning", `interceptor "r" { remove_reasoning = true }`, "interceptors = [interceptor.r]", false},
		{"params", `interceptor "p" { params_add = { top_k = 1 } }`, "interceptors = [interceptor.p]", false},
		{"in a benchmark block", `interceptor "sys" { system_prompt = "Be brief." }`, "benchmark \"native.math500\" {\n interceptors = [interceptor.sys]\n}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := identities(t, newEnv(t), fmt.Sprintf(interceptorSuite, tt.blocks, tt.use))[addr]
			if (got == none) != tt.same {
				t.Errorf("identity %s, without interceptors %s; want same = %v", got, none, tt.same)
			}
		})
	}
	// The same content under another name is the same run.
	a := identities(t, newEnv(t), fmt.Sprintf(interceptorSuite, `interceptor "x" { system_prompt = "Be brief." }`, "interceptors = [interceptor.x]"))[addr]
	b := identities(t, newEnv(t), fmt.Sprintf(interceptorSuite, `interceptor "y" { system_prompt = "Be brief." }`, "interceptors = [interceptor.y]"))[addr]
	if a != b {
		t.Errorf("renaming an interceptor changed the identity: %s vs %s", a, b)
	}
}
