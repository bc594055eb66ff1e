package plan

import (
	"testing"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestWantedComparisons(t *testing.T) {
	parse := func(src string) hcl.Expression {
		e, diags := hclsyntax.ParseExpression([]byte(src), "t.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return e
	}
	tests := []struct {
		name, check, output string
		want, notWant       [][4]string
	}{
		{name: "nothing reads a comparison", check: `suite.s.scores["m"]["a"] > 0.5`, output: `suite.s.result["m"]["b"].score`,
			notWant: [][4]string{{"s", "m", "a", "b"}, {"s", "m", "b", "a"}}},
		{name: "one comparison", check: `suite.s.compare["m"]["a"]["b"].diff > 0`,
			want: [][4]string{{"s", "m", "a", "b"}}, notWant: [][4]string{{"s", "m", "b", "a"}, {"s", "n", "a", "b"}, {"t", "m", "a", "b"}}},
		{name: "a benchmark's table", output: `suite.s.compare["m"]`,
			want: [][4]string{{"s", "m", "a", "b"}, {"s", "m", "b", "a"}}, notWant: [][4]string{{"s", "n", "a", "b"}}},
		{name: "a whole suite", output: `suite.s`,
			want: [][4]string{{"s", "m", "a", "b"}, {"s", "n", "b", "c"}}, notWant: [][4]string{{"t", "m", "a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Checks: map[string]*config.Check{}, Outputs: map[string]*config.Output{}}
			if tt.check != "" {
				cfg.Checks["c"] = &config.Check{Name: "c", Condition: parse(tt.check)}
			}
			if tt.output != "" {
				cfg.Outputs["o"] = &config.Output{Name: "o", Value: parse(tt.output)}
			}
			want := wantedComparisons(cfg)
			for _, p := range tt.want {
				if !want(p[0], p[1], p[2], p[3]) {
					t.Errorf("%v not wanted", p)
				}
			}
			for _, p := range tt.notWant {
				if want(p[0], p[1], p[2], p[3]) {
					t.Errorf("%v wanted", p)
				}
			}
		})
	}
}
