package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/evalplan/evalplan/schema"
)

// varDecl is a declared variable while its value is being assigned.
type varDecl struct {
	v           *Variable
	ty          cty.Type
	defaults    *typeexpr.Defaults
	validations []*hcl.Block
	value       cty.Value  // cty.NilVal until some source sets it
	valueRange  *hcl.Range // where the value came from, when it has a source range
	failed      bool       // the value was rejected with a diagnostic
}

func (l *loader) varDecls() map[string]*varDecl {
	if l.vars == nil {
		l.vars = map[string]*varDecl{}
	}
	return l.vars
}

// declareVariables decodes every variable block: type, default, description, sensitive.
func (l *loader) declareVariables() {
	decls := l.varDecls()
	defCtx := &hcl.EvalContext{Functions: l.funcs}
	for _, b := range l.blocks[schema.BlockVariable] {
		content, diags := b.Body.Content(schema.VariableBody())
		l.addDiags(diags)
		d := &varDecl{
			v:  &Variable{Name: b.Labels[0], DeclRange: b.DefRange},
			ty: cty.DynamicPseudoType,
		}
		decls[d.v.Name] = d
		l.cfg.Variables[d.v.Name] = d.v
		if a := content.Attributes["type"]; a != nil {
			ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
			l.addDiags(diags)
			if !diags.HasErrors() {
				d.ty, d.defaults = ty, defaults
			}
		}
		if a := content.Attributes["description"]; a != nil {
			if v, ok := l.evalWith(a, cty.String, nil); ok {
				d.v.Description = v.AsString()
			}
		}
		if a := content.Attributes["sensitive"]; a != nil {
			if v, ok := l.evalWith(a, cty.Bool, nil); ok {
				d.v.Sensitive = v.True()
			}
		}
		if a := content.Attributes["default"]; a != nil {
			v, diags := a.Expr.Value(defCtx)
			l.addDiags(diags)
			if !diags.HasErrors() {
				l.setVar(d, v, a.Expr.Range().Ptr(), "default")
			}
		}
		for _, vb := range content.Blocks {
			d.validations = append(d.validations, vb)
		}
	}
}

// assignVariables applies EVALPLAN_VAR_name, then the auto variable files, then -var and
// -var-file in order; then checks types, required values and validation rules.
func (l *loader) assignVariables(autoVarFiles []string) {
	decls := l.varDecls()
	for _, kv := range l.opts.Environ {
		k, raw, ok := strings.Cut(kv, "=")
		name, isVar := strings.CutPrefix(k, EnvVarPrefix)
		if !ok || !isVar {
			continue
		}
		d := decls[name]
		if d == nil {
			continue // as Terraform: environment variables for undeclared variables are ignored
		}
		if v, ok := l.parseRawValue(d, raw, "environment variable "+k); ok {
			l.setVar(d, v, nil, "environment variable "+k)
		}
	}
	for _, f := range autoVarFiles {
		l.loadVarFile(f)
	}
	for _, a := range l.opts.Vars {
		if a.File != "" {
			l.loadVarFile(a.File)
			continue
		}
		d := decls[a.Name]
		if d == nil {
			l.errorf(nil, "Value for undeclared variable",
				"A value for %q was given with -var, but the configuration declares no variable of that name.%s Declare it with a variable %q block, or remove the -var argument.",
				a.Name, didYouMean(a.Name, names(decls)), a.Name)
			continue
		}
		if v, ok := l.parseRawValue(d, a.Value, "-var "+a.Name); ok {
			l.setVar(d, v, nil, "-var "+a.Name)
		}
	}
	for _, name := range names(decls) {
		l.finishVariable(decls[name])
	}
}

// parseRawValue turns the text of -var or EVALPLAN_VAR_name (source) into a value for d: a
// literal string for string-typed (and untyped) variables, an HCL literal otherwise. A value
// that does not parse, or does not convert to d's type, is reported here with what the type
// expects; the value itself is quoted only when d is not sensitive.
func (l *loader) parseRawValue(d *varDecl, raw, source string) (cty.Value, bool) {
	if d.ty == cty.String || d.ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), true
	}
	v, problem := rawLiteral(raw)
	if problem == "" {
		cv := v
		if d.defaults != nil {
			cv = d.defaults.Apply(cv)
		}
		_, err := convert.Convert(cv, d.ty)
		if err == nil {
			return v, true
		}
		problem = err.Error()
	}
	what := fmt.Sprintf("%q", raw)
	switch {
	case d.v.Sensitive:
		what = "The value"
	case strings.Contains(raw, `"`):
		what = "'" + raw + "'"
	}
	var detail string
	switch d.ty {
	case cty.Number:
		detail = fmt.Sprintf("%s is not a valid number for variable %s (from %s). Give a number such as 42 or 0.5.", what, d.v.Name, source)
	case cty.Bool:
		detail = fmt.Sprintf("%s is not a valid bool for variable %s (from %s). Give true or false.", what, d.v.Name, source)
	default:
		ts := typeexpr.TypeString(d.ty)
		if d.v.Sensitive {
			problem = "" // a parser's message may quote the value
		} else {
			problem = ": " + problem
		}
		detail = fmt.Sprintf("%s is not a valid value of type %s for variable %s (from %s)%s. Write it as an HCL literal of that type, e.g. %s; strings inside it need quotes.",
			what, ts, d.v.Name, source, problem, literalExample(d.ty))
	}
	l.errorf(nil, "Invalid value for variable",
		"%s Only variables of type string take their value as plain text without quotes; var.%s has type %s.",
		detail, d.v.Name, typeexpr.TypeString(d.ty))
	d.failed = true
	return cty.NilVal, false
}

// rawLiteral parses raw as an HCL literal expression (no variables or functions); problem
// says why it is not one.
func rawLiteral(raw string) (v cty.Value, problem string) {
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "<value>", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, strings.TrimSuffix(diags[0].Summary+": "+diags[0].Detail, ".")
	}
	v, diags = expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, strings.TrimSuffix(diags[0].Summary+": "+diags[0].Detail, ".")
	}
	return v, ""
}

// literalExample returns an HCL literal of a type's shape, for messages.
func literalExample(ty cty.Type) string {
	switch {
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		return `["a", "b"]`
	case ty.IsMapType():
		return `{ key = "value" }`
	case ty.IsObjectType():
		for _, n := range names(ty.AttributeTypes()) {
			return fmt.Sprintf(`{ %s = ... }`, n)
		}
		return "{}"
	}
	return typeexpr.TypeString(ty)
}

// loadVarFile reads a variable file (HCL attributes name = value) and assigns its values.
func (l *loader) loadVarFile(path string) {
	key, src, ok := l.readFile(path)
	if !ok {
		return
	}
	f, diags := l.parser.ParseHCL(src, key)
	l.addDiags(diags)
	if f == nil || f.Body == nil {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.addDiags(diags)
	decls := l.varDecls()
	for _, name := range names(attrs) {
		a := attrs[name]
		d := decls[name]
		if d == nil {
			l.warnf(a.NameRange.Ptr(), "Value for undeclared variable",
				"The file %s sets %q, but the configuration declares no variable of that name.%s Declare it with a variable %q block, or remove the assignment.",
				key, name, didYouMean(name, names(decls)), name)
			continue
		}
		v, diags := a.Expr.Value(nil)
		l.addDiags(diags)
		if !diags.HasErrors() {
			l.setVar(d, v, a.Expr.Range().Ptr(), key)
		}
	}
}

// setVar converts v to the variable's type and makes it the variable's current value.
func (l *loader) setVar(d *varDecl, v cty.Value, rng *hcl.Range, source string) {
	if d.defaults != nil {
		v = d.defaults.Apply(v)
	}
	cv, err := convert.Convert(v, d.ty)
	if err != nil {
		if d.v.Sensitive {
			rng = d.v.DeclRange.Ptr() // a snippet of the value's own source would show it
		}
		l.errorf(rng, "Invalid value for variable",
			"The value for var.%s from %s is not compatible with its type: %s. Give a value of type %s.",
			d.v.Name, source, err, typeexpr.TypeString(d.ty))
		d.failed = true
		return
	}
	d.value, d.valueRange, d.failed = cv, rng, false
}

// finishVariable reports a missing required value, runs validation rules and sets the mark.
func (l *loader) finishVariable(d *varDecl) {
	name := d.v.Name
	if !d.failed && d.value == cty.NilVal {
		l.prompt(d)
	}
	switch {
	case d.failed:
		d.value = cty.UnknownVal(d.ty).Mark(errMark)
	case d.value == cty.NilVal:
		l.errorf(d.v.DeclRange.Ptr(), "No value for required variable",
			"The variable %q has no default, so it needs a value. Set it with -var '%s=VALUE' on the command line, in a *.auto.evalvars.hcl file or a -var-file, or with the environment variable %s%s, or give it a default.",
			name, name, EnvVarPrefix, name)
		d.value = cty.UnknownVal(d.ty).Mark(errMark)
	default:
		l.validateVariable(d)
	}
	if d.v.Sensitive {
		d.value = d.value.Mark(Sensitive)
	}
	d.v.Value = d.value
}

// prompt asks LoadOptions.Prompt for d's value, when there is a prompt; an answer that does
// not parse is reported as -var's would be, and a failed read as a missing value (d.failed).
func (l *loader) prompt(d *varDecl) {
	if l.opts.Prompt == nil {
		return
	}
	raw, err := l.opts.Prompt(d.v)
	if err != nil {
		l.errorf(d.v.DeclRange.Ptr(), "No value for required variable",
			"The variable %q has no default, and reading it failed: %v. Set it with -var '%s=VALUE' on the command line, in a *.auto.evalvars.hcl file or a -var-file, or with the environment variable %s%s.",
			d.v.Name, err, d.v.Name, EnvVarPrefix, d.v.Name)
		d.failed = true
		return
	}
	if v, ok := l.parseRawValue(d, raw, "input"); ok {
		l.setVar(d, v, nil, "input")
	}
}

// validateVariable evaluates the variable's validation blocks against its value.
func (l *loader) validateVariable(d *varDecl) {
	name := d.v.Name
	val := d.value
	if d.v.Sensitive {
		val = val.Mark(Sensitive)
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{name: val})},
		Functions: l.funcs,
	}
	for _, vb := range d.validations {
		content, diags := vb.Body.Content(schema.ValidationBody())
		l.addDiags(diags)
		cond, msg := content.Attributes["condition"], content.Attributes["error_message"]
		if cond == nil || msg == nil {
			continue
		}
		bad := false
		for _, a := range []*hcl.Attribute{cond, msg} {
			for _, t := range a.Expr.Variables() {
				if t.RootName() != "var" || len(t) < 2 || stepName(t[1]) != name {
					l.errorf(t.SourceRange().Ptr(), "Invalid reference in variable validation",
						"A validation rule may refer only to the variable it validates, var.%s.", name)
					bad = true
				}
			}
		}
		if bad {
			continue
		}
		cv, ok := l.evalWith(cond, cty.Bool, ctx)
		if !ok {
			continue
		}
		if cv.True() {
			continue
		}
		text := "The value is not valid."
		if mv, ok := l.message(msg, ctx); ok {
			text = mv
		}
		subject := d.valueRange
		if subject == nil || d.v.Sensitive {
			subject = d.v.DeclRange.Ptr()
		}
		l.errorf(subject, "Invalid value for variable",
			"%s\n\nThis was checked by the validation rule at %s (var.%s).", text, rangeString(cond.Range), name)
		d.value = cty.UnknownVal(d.ty).Mark(errMark)
		return
	}
}

// varValues returns the values of all variables for the var object.
func (l *loader) varValues() map[string]cty.Value {
	out := map[string]cty.Value{}
	for n, d := range l.varDecls() {
		out[n] = d.v.Value
	}
	return out
}
