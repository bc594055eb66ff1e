package config

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// evalWith evaluates an attribute in ctx (which may be nil: literals only) and converts it to
// ty. It reports problems and returns ok=false for a failed, null or already-errored value.
// The returned value is unmarked.
func (l *loader) evalWith(a *hcl.Attribute, ty cty.Type, ctx *hcl.EvalContext) (cty.Value, bool) {
	v, diags := l.value(a.Expr, ctx)
	l.addDiags(diags)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	return l.convertValue(a, v, ty)
}

func (l *loader) convertValue(a *hcl.Attribute, v cty.Value, ty cty.Type) (cty.Value, bool) {
	v, marks := v.UnmarkDeep()
	if _, errored := marks[errMark]; errored {
		return cty.NilVal, false
	}
	if v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		if l.syntaxErrors[a.Expr.Range().Filename] {
			return cty.NilVal, false
		}
		l.errorf(a.Expr.Range().Ptr(), "Value not known while loading",
			"The value of %q depends on something known only later, such as another block's attributes. Use a literal, a variable or a local instead.", a.Name)
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		l.errorf(a.Expr.Range().Ptr(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s. Give a value of type %s.", a.Name, err, friendlyType(ty))
		return cty.NilVal, false
	}
	return cv, true
}

func friendlyType(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "string"
	case ty == cty.Number:
		return "number"
	case ty == cty.Bool:
		return "bool"
	case ty.IsListType():
		return "list of " + friendlyType(ty.ElementType())
	case ty.IsMapType():
		return "map of " + friendlyType(ty.ElementType())
	}
	return ty.FriendlyName()
}

// eval checks an attribute's references (record not allowed) and evaluates it in l.ctx.
func (l *loader) eval(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	if l.checkRefs(a.Expr, refOptions{}) {
		return cty.NilVal, false
	}
	return l.evalWith(a, ty, l.ctx)
}

// evalSensitive is eval for attributes that are sensitive by schema: no diagnostic it
// returns carries the expression or context, so no value can be printed with it.
func (l *loader) evalSensitive(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	n := len(l.diags)
	v, ok := l.eval(a, ty)
	for _, d := range l.diags[n:] {
		d.Expression, d.EvalContext = nil, nil
	}
	return v, ok
}

func (l *loader) str(a *hcl.Attribute) (string, bool) {
	if a == nil {
		return "", false
	}
	v, ok := l.eval(a, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (l *loader) boolean(a *hcl.Attribute) (bool, bool) {
	if a == nil {
		return false, false
	}
	v, ok := l.eval(a, cty.Bool)
	if !ok {
		return false, false
	}
	return v.True(), true
}

func (l *loader) number(a *hcl.Attribute) (float64, bool) {
	if a == nil {
		return 0, false
	}
	v, ok := l.eval(a, cty.Number)
	if !ok {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	if math.IsInf(f, 0) {
		l.errorf(a.Expr.Range().Ptr(), "Number out of range", "The value of %q is too large.", a.Name)
		return 0, false
	}
	return f, true
}

// integer evaluates a whole number not below min.
func (l *loader) integer(a *hcl.Attribute, min int) (int, bool) {
	if a == nil {
		return 0, false
	}
	v, ok := l.eval(a, cty.Number)
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if acc != big.Exact || !bf.IsInt() || i > math.MaxInt32 || i < math.MinInt32 {
		l.errorf(a.Expr.Range().Ptr(), "Invalid value", "%s must be a whole number.", a.Name)
		return 0, false
	}
	if int(i) < min {
		l.errorf(a.Expr.Range().Ptr(), "Invalid value", "%s must be at least %d.", a.Name, min)
		return 0, false
	}
	return int(i), true
}

func (l *loader) strList(a *hcl.Attribute) ([]string, bool) {
	if a == nil {
		return nil, false
	}
	v, ok := l.eval(a, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			l.errorf(a.Expr.Range().Ptr(), "Invalid value", "%s must not contain null.", a.Name)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

func (l *loader) strMap(a *hcl.Attribute, sensitive bool) (map[string]string, bool) {
	if a == nil {
		return nil, false
	}
	var v cty.Value
	var ok bool
	if sensitive {
		v, ok = l.evalSensitive(a, cty.Map(cty.String))
	} else {
		v, ok = l.eval(a, cty.Map(cty.String))
	}
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			continue
		}
		out[k.AsString()] = e.AsString()
	}
	return out, true
}

// seconds evaluates a duration: a number of seconds or a Go duration string such as "2h".
func (l *loader) seconds(a *hcl.Attribute) (float64, bool) {
	if a == nil {
		return 0, false
	}
	if l.checkRefs(a.Expr, refOptions{}) {
		return 0, false
	}
	v, diags := l.value(a.Expr, l.ctx)
	l.addDiags(diags)
	if diags.HasErrors() {
		return 0, false
	}
	if uv, _ := v.UnmarkDeep(); uv.IsKnown() && !uv.IsNull() && uv.Type() == cty.String {
		s := uv.AsString()
		if _, err := convert.Convert(uv, cty.Number); err != nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				l.errorf(a.Expr.Range().Ptr(), "Invalid duration",
					"%s must be a number of seconds or a duration such as \"90s\", \"30m\" or \"2h\"; %q is neither.", a.Name, s)
				return 0, false
			}
			return d.Seconds(), true
		}
	}
	cv, ok := l.convertValue(a, v, cty.Number)
	if !ok {
		return 0, false
	}
	f, _ := cv.AsBigFloat().Float64()
	return f, true
}

// enum checks that the attribute's value s is one of allowed.
func (l *loader) enum(a *hcl.Attribute, s string, allowed ...string) bool {
	for _, x := range allowed {
		if s == x {
			return true
		}
	}
	l.errorf(a.Expr.Range().Ptr(), fmt.Sprintf("Invalid %s", a.Name),
		"%s must be one of %s; got %q.%s", a.Name, quoteList(allowed), s, didYouMean(s, allowed))
	return false
}

// subset checks that every element of list is one of allowed, and returns them sorted without
// duplicates.
func (l *loader) subset(a *hcl.Attribute, list []string, allowed ...string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range list {
		if !l.enum(a, s, allowed...) || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
