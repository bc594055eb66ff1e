package config

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveText stands in for a sensitive value in messages.
const sensitiveText = "(sensitive value)"

// hiddenDetail replaces the detail of a diagnostic raised while evaluating an expression that
// reads a sensitive value: details such as a function's error may quote the value.
const hiddenDetail = "This expression uses a sensitive value, so the details of this error are not shown. Check the expression and the value given for the sensitive variable."

// minSecretLen is the shortest sensitive string that scrubSecrets replaces in diagnostics;
// replacing shorter ones would garble messages (every "a" or "1") without protecting a secret.
const minSecretLen = 4

// Reasons given when a sensitive value reaches a field that is written to files.
const (
	identityReason = "identity fields are written to state and plan files"
	paramsReason   = "run parameters are written to plan files and to run_config.json in the run directory"
)

// value evaluates expr in ctx. When expr reads a sensitive value, its diagnostics lose their
// expression and context (so no value is printed beside them) and their detail.
func (l *loader) value(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if len(diags) > 0 && readsSensitive(expr, ctx) {
		for _, d := range diags {
			d.Expression, d.EvalContext = nil, nil
			d.Detail = hiddenDetail
		}
	}
	return v, diags
}

// readsSensitive reports whether a reference of expr resolves in ctx to a value that is, or
// holds, a sensitive value. A reference that cannot be resolved in full is judged by its
// longest resolvable prefix.
func readsSensitive(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	if ctx == nil {
		return false
	}
	for _, t := range expr.Variables() {
		for n := len(t); n >= 1; n-- {
			v, diags := t[:n].TraverseAbs(ctx)
			if diags.HasErrors() {
				continue
			}
			if v.HasMarkDeep(Sensitive) {
				return true
			}
			break
		}
	}
	return false
}

// notSensitive reports whether the attribute a, the field path (e.g. "endpoint.gpt.model"),
// reads no sensitive value; otherwise it reports an error saying why (reason) and returns
// false, and the caller leaves the attribute undecoded.
func (l *loader) notSensitive(a *hcl.Attribute, path, reason string) bool {
	if a == nil || !readsSensitive(a.Expr, l.ctx) {
		return true
	}
	l.errorf(a.Expr.Range().Ptr(), "Sensitive value in a recorded field",
		"%s comes from a sensitive value, but %s. Use a non-sensitive variable.", path, reason)
	return false
}

// message evaluates a message attribute (a validation rule's error_message) to text. Parts of
// a template that come from a sensitive value read "(sensitive value)"; a sensitive message
// that is not a template is replaced by "(sensitive value)" as a whole.
func (l *loader) message(a *hcl.Attribute, ctx *hcl.EvalContext) (string, bool) {
	v, diags := l.value(a.Expr, ctx)
	l.addDiags(diags)
	if diags.HasErrors() {
		return "", false
	}
	if !v.HasMarkDeep(Sensitive) {
		s, ok := l.convertValue(a, v, cty.String)
		if !ok {
			return "", false
		}
		return s.AsString(), true
	}
	tmpl, ok := a.Expr.(*hclsyntax.TemplateExpr)
	if !ok {
		return sensitiveText, true
	}
	var b strings.Builder
	for _, p := range tmpl.Parts {
		pv, diags := p.Value(ctx)
		if diags.HasErrors() {
			return sensitiveText, true
		}
		if pv.HasMarkDeep(Sensitive) {
			b.WriteString(sensitiveText)
			continue
		}
		sv, err := convert.Convert(pv, cty.String)
		if err != nil || sv.IsNull() || !sv.IsKnown() {
			return sensitiveText, true
		}
		b.WriteString(sv.AsString())
	}
	return b.String(), true
}

// secrets returns the strings held by sensitive variables (at least minSecretLen long),
// longest first.
func (l *loader) secrets() []string {
	seen := map[string]bool{}
	for _, d := range l.varDecls() {
		if !d.v.Sensitive || d.value == cty.NilVal {
			continue
		}
		v, _ := d.value.UnmarkDeep()
		_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
			e, _ = e.Unmark()
			if !e.IsKnown() || e.IsNull() {
				return true, nil
			}
			var s string
			switch e.Type() {
			case cty.String:
				s = e.AsString()
			case cty.Number:
				s = e.AsBigFloat().Text('f', -1)
			}
			if len(s) >= minSecretLen {
				seen[s] = true
			}
			return true, nil
		})
	}
	out := names(seen)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// scrubSecrets replaces every sensitive string in the diagnostics' summaries and details by
// "(sensitive value)": the last line of defence for a message that quotes a value.
func (l *loader) scrubSecrets() {
	secrets := l.secrets()
	if len(secrets) == 0 {
		return
	}
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, sensitiveText)
	}
	r := strings.NewReplacer(pairs...)
	for _, d := range l.diags {
		d.Summary, d.Detail = r.Replace(d.Summary), r.Replace(d.Detail)
	}
}
