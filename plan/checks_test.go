package plan

import (
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/result"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func parseExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "check.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return e
}

func TestRunRefsCompare(t *testing.T) {
	tests := []struct {
		src   string
		addrs []string
		exact bool
	}{
		{`suite.s.compare["native.gsm8k"]["a"]["b"].diff > 0`, []string{runAddr("s", "native.gsm8k", "a"), runAddr("s", "native.gsm8k", "b")}, true},
		{`suite.s.compare["native.gsm8k"]["a"]`, nil, false},
		{`suite.s.result["native.gsm8k"]["a"].score > suite.s.scores["native.gsm8k"]["a"]`, []string{runAddr("s", "native.gsm8k", "a")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			addrs, exact := runRefs(parseExpr(t, tt.src))
			if diff := cmp.Diff(tt.addrs, addrs); diff != "" || exact != tt.exact {
				t.Errorf("runRefs = %q, %v; want %q, %v", addrs, exact, tt.addrs, tt.exact)
			}
		})
	}
}

func TestValueText(t *testing.T) {
	tests := []struct {
		v    cty.Value
		want string
	}{
		{cty.NumberFloatVal(0.7352941176), "0.7353"},
		{cty.NumberFloatVal(200), "200"},
		{cty.NumberFloatVal(-0.0000123456), "-0.00001235"},
		{cty.NumberFloatVal(12.345678), "12.3457"},
		{cty.True, "true"},
		{cty.StringVal(`a"b`), `"a\"b"`},
		{cty.NullVal(cty.Number), "null"},
		{cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.5), cty.NumberFloatVal(0.75)}), "[0.5, 0.75]"},
		{cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "x-y": cty.NumberIntVal(2)}), `{a = 1, "x-y" = 2}`},
	}
	for _, tt := range tests {
		got, ok := valueText(tt.v)
		if !ok || got != tt.want {
			t.Errorf("valueText(%#v) = %q, %v; want %q", tt.v, got, ok, tt.want)
		}
	}
	if _, ok := valueText(cty.UnknownVal(cty.Number)); ok {
		t.Error("valueText(unknown): want not ok")
	}
}

// TestEvalCheckCompare evaluates checks on comparisons recorded in state: the failure
// message carries the values read, and a missing comparison fails with a message.
func TestEvalCheckCompare(t *testing.T) {
	cfg := &config.Config{Suites: map[string]*config.Suite{"s": {Name: "s", Endpoints: []string{"a", "b"}}}}
	res := &result.Result{Score: 0.5, Primary: "acc", N: 10, Metrics: map[string]result.Metric{"acc": {Value: 0.5, N: 10}}}
	st := state.New("test")
	st.Resources[runAddr("s", "g", "a")] = &state.Resource{Type: "run", Status: state.StatusComplete, Result: res,
		Compare: map[string]any{"b": map[string]any{"diff": -0.0312, "significant": true, "n": 10.0, "stderr": 0.01, "ci95": []any{-0.05, -0.011}}}}
	st.Resources[runAddr("s", "g", "b")] = &state.Resource{Type: "run", Status: state.StatusComplete, Result: res}
	tests := []struct {
		cond, status, msg string
	}{
		{`suite.s.compare["g"]["a"]["b"].diff > -0.05`, CheckPass, ""},
		{`suite.s.compare["g"]["a"]["b"].diff > 0`, CheckFail, `worse (suite.s.compare["g"]["a"]["b"].diff = -0.0312)`},
		{`!suite.s.compare["g"]["a"]["b"].significant || suite.s.compare["g"]["a"]["b"].ci95[1] > 0`, CheckFail,
			`worse (suite.s.compare["g"]["a"]["b"].significant = true, suite.s.compare["g"]["a"]["b"].ci95[1] = -0.011)`},
		{`suite.s.compare["g"]["b"]["a"].diff > 0`, CheckFail, `suite.s.run["g"]["b"] has no paired comparison with endpoint "a": the runs share no journaled samples`},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c := &config.Check{Name: "c", Condition: parseExpr(t, tt.cond), ErrorMessage: parseExpr(t, `"worse"`)}
			got := EvalCheck(cfg, st, c, nil, false)
			want := CheckResult{Address: "check.c", Status: tt.status, Message: tt.msg}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("EvalCheck (-want +got):\n%s", diff)
			}
		})
	}
}
