package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/evalplan/evalplan/plan/config"
)

// TestPlainVars: the variables a job's spec carries to the node are the non-sensitive ones
// with a value, strings as they are and other types as JSON, sorted by name.
func TestPlainVars(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]*config.Variable
		want []config.VarArg
	}{
		{"none", nil, nil},
		{"types", map[string]*config.Variable{
			"url":    {Value: cty.StringVal("http://h:1/v1")},
			"port":   {Value: cty.NumberIntVal(2222)},
			"on":     {Value: cty.True},
			"models": {Value: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal(`b"c`)})},
		}, []config.VarArg{
			{Name: "models", Value: `["a","b\"c"]`}, {Name: "on", Value: "true"},
			{Name: "port", Value: "2222"}, {Name: "url", Value: "http://h:1/v1"},
		}},
		{"sensitive and null left out", map[string]*config.Variable{
			"key":  {Sensitive: true, Value: cty.StringVal("sk-secret")},
			"none": {Value: cty.NullVal(cty.String)},
			"url":  {Value: cty.StringVal("u")},
		}, []config.VarArg{{Name: "url", Value: "u"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := plainVars(&config.Config{Variables: tc.vars})
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("vars (-want +got):\n%s", d)
			}
		})
	}
}
