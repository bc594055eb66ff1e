package config

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/evalplan/evalplan/schema"
)

// evalLocals collects the attributes of every locals block and evaluates them in dependency
// order, each once, with only the locals it refers to in scope: linear in the number of
// locals and references. Each cycle is reported once, naming every local on it; locals on or behind a cycle
// become unknown values that stay quiet downstream.
func (l *loader) evalLocals() {
	l.localAttrs = map[string]*hcl.Attribute{}
	l.localVals = map[string]cty.Value{}
	l.declared["local"] = map[string]hcl.Range{}
	for _, b := range l.blocks[schema.BlockLocals] {
		attrs, diags := b.Body.JustAttributes()
		l.addDiags(diags)
		for _, name := range names(attrs) {
			a := attrs[name]
			if prev, dup := l.localAttrs[name]; dup {
				l.errorf(a.NameRange.Ptr(), "Duplicate local value",
					"A local value named %q was already defined at %s. Local names must be unique across all locals blocks; rename or remove one.", name, rangeString(prev.NameRange))
				continue
			}
			l.localAttrs[name] = a
			l.declared["local"][name] = a.NameRange
		}
	}
	deps := map[string][]string{}
	whole := map[string]bool{} // locals whose expression reads the local object itself
	for name, a := range l.localAttrs {
		seen := map[string]bool{}
		for _, t := range a.Expr.Variables() {
			if t.RootName() == "local" && len(t) < 2 {
				whole[name] = true
			}
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			d := stepName(t[1])
			if _, ok := l.localAttrs[d]; ok && !seen[d] {
				seen[d] = true
				deps[name] = append(deps[name], d)
			}
		}
		sort.Strings(deps[name])
	}
	order, cyclic := l.orderLocals(deps)
	// var is known now; the block objects are not needed to evaluate locals beyond
	// type-checking, so locals see the same context as everything else.
	l.buildContext()
	for _, name := range order {
		a := l.localAttrs[name]
		if cyclic[name] || l.checkRefs(a.Expr, refOptions{}) {
			l.localVals[name] = cty.DynamicVal.Mark(errMark)
			continue
		}
		l.ctx.Variables["local"] = l.localScope(deps[name], whole[name])
		v, diags := l.value(a.Expr, l.ctx)
		l.addDiags(diags)
		if diags.HasErrors() {
			v = cty.DynamicVal.Mark(errMark)
		}
		l.localVals[name] = v
	}
}

// localScope is the local object a local's expression is evaluated with: the locals it
// refers to, which come before it in dependency order, so that evaluating n locals builds
// objects of as many values as they have references in all, not n² values. An expression
// that reads the local object itself gets every local evaluated so far.
func (l *loader) localScope(deps []string, whole bool) cty.Value {
	if whole {
		l.localScopeValues += len(l.localVals)
		return objectOf(l.localVals)
	}
	m := make(map[string]cty.Value, len(deps))
	for _, d := range deps {
		if v, ok := l.localVals[d]; ok {
			m[d] = v
		}
	}
	l.localScopeValues += len(m)
	return objectOf(m)
}

// orderLocals returns the locals in an order where each comes after the locals it uses, and
// the set of locals on a cycle (reported here) or depending on one.
func (l *loader) orderLocals(deps map[string][]string) ([]string, map[string]bool) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	cyclic := map[string]bool{}
	var order, stack []string
	var visit func(n string) bool // reports whether n is on or behind a cycle
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		bad := false
		for _, d := range deps[n] {
			switch color[d] {
			case white:
				if visit(d) {
					bad = true
				}
			case grey:
				l.reportCycle(stack, d)
				bad = true
			case black:
				if cyclic[d] {
					bad = true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		if bad {
			cyclic[n] = true
		}
		order = append(order, n)
		return bad
	}
	for _, n := range names(l.localAttrs) {
		if color[n] == white {
			visit(n)
		}
	}
	return order, cyclic
}

// reportCycle reports the cycle that closes when the top of stack refers to back.
func (l *loader) reportCycle(stack []string, back string) {
	i := len(stack) - 1
	for i > 0 && stack[i] != back {
		i--
	}
	path := make([]string, 0, len(stack)-i+1)
	for _, n := range stack[i:] {
		path = append(path, "local."+n)
	}
	path = append(path, "local."+back)
	a := l.localAttrs[back]
	l.errorf(a.Expr.Range().Ptr(), "Cycle in local values",
		"%s: each of these locals refers to the next, so none can be evaluated. Change one of them so that it no longer refers, directly or indirectly, to itself.",
		strings.Join(path, " → "))
}

// localValues returns the evaluated locals for the local object.
func (l *loader) localValues() map[string]cty.Value {
	out := make(map[string]cty.Value, len(l.localVals))
	for k, v := range l.localVals {
		out[k] = v
	}
	for k := range l.localAttrs {
		if _, ok := out[k]; !ok {
			out[k] = cty.DynamicVal.Mark(errMark)
		}
	}
	return out
}
