package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// refOptions says which references an expression may use.
type refOptions struct {
	// record allows record.*: only in a task's prompt, target and choices.
	record bool
}

// referenceRoots are the root names an expression may start a reference with, sorted.
func referenceRoots() []string {
	return []string{"dataset", "endpoint", "exporter", "gpu", "interceptor", "local", "suite", "task", "var"}
}

// suiteAttributes are the attributes of suite.NAME in expressions, sorted.
func suiteAttributes() []string { return []string{"compare", "result", "run", "scores"} }

// checkRefs reports every reference in expr to something undeclared or not allowed here, and
// returns whether there was any.
func (l *loader) checkRefs(expr hcl.Expression, o refOptions) bool {
	bad := false
	for _, t := range expr.Variables() {
		if d := l.checkTraversal(t, o); d != nil {
			l.diags = append(l.diags, d)
			bad = true
		}
	}
	return bad
}

// stepName returns the name of an attribute step or a string index step, or "".
func stepName(s hcl.Traverser) string {
	switch s := s.(type) {
	case hcl.TraverseAttr:
		return s.Name
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString()
		}
	}
	return ""
}

func kindWord(root string) string {
	switch root {
	case "var":
		return "input variable"
	case "local":
		return "local value"
	}
	return root
}

func declHint(root, name string) string {
	switch root {
	case "var":
		return fmt.Sprintf("Declare it with a variable %q block, or fix the reference.", name)
	case "local":
		return fmt.Sprintf("Define it in a locals block (%s = ...), or fix the reference.", name)
	}
	return fmt.Sprintf("Declare it with %s %s %q block, or fix the reference.", article(root), root, name)
}

// checkTraversal checks one reference; nil means it is fine.
func (l *loader) checkTraversal(t hcl.Traversal, o refOptions) *hcl.Diagnostic {
	root := t.RootName()
	rng := t.SourceRange()
	bad := func(summary, detail string, args ...any) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &rng}
	}
	switch root {
	case "record":
		if o.record {
			return nil
		}
		return bad("Invalid reference to record",
			"record.* is available only in a task's prompt, target and choices, which are evaluated once per dataset record. Use a variable or a local here.")
	case "exporter":
		if len(t) < 3 || stepName(t[1]) == "" || stepName(t[2]) == "" {
			return bad("Invalid reference", "An exporter is referred to as exporter.TYPE.NAME, e.g. exporter.mlflow.team.")
		}
		typ, name := stepName(t[1]), stepName(t[2])
		if _, ok := l.exporters[typ][name]; !ok {
			var all []string
			for ty, ns := range l.exporters {
				for n := range ns {
					all = append(all, ty+"."+n)
				}
			}
			sort.Strings(all)
			return bad("Reference to undeclared exporter", "There is no exporter %q %q.%s Declare it with an exporter %q %q block, or fix the reference.",
				typ, name, didYouMean(typ+"."+name, all), typ, name)
		}
		return nil
	}
	declared, known := l.declared[root]
	if !known && !slices.Contains(referenceRoots(), root) {
		return bad("Unknown variable", "There is no variable named %q.%s References start with one of %s.",
			root, didYouMean(root, referenceRoots()), strings.Join(referenceRoots(), ", "))
	}
	if len(t) < 2 || stepName(t[1]) == "" {
		return bad("Invalid reference", "%s must be followed by a name, as in %s.NAME.", root, root)
	}
	name := stepName(t[1])
	if _, ok := declared[name]; !ok {
		r := hcl.RangeBetween(t[0].SourceRange(), t[1].SourceRange())
		d := bad(fmt.Sprintf("Reference to undeclared %s", kindWord(root)),
			"There is no %s named %q.%s %s", kindWord(root), name, didYouMean(name, names(declared)), declHint(root, name))
		d.Subject = &r
		return d
	}
	if root == "suite" && len(t) >= 3 {
		attr := stepName(t[2])
		if !slices.Contains(suiteAttributes(), attr) {
			return bad("Unsupported suite attribute", "suite.%s has no attribute %q.%s A suite has %s: for example suite.%s.result[\"BENCHMARK\"][\"ENDPOINT\"].score.",
				name, attr, didYouMean(attr, suiteAttributes()), strings.Join(suiteAttributes(), ", "), name)
		}
	}
	return nil
}

// ref decodes a reference to a block of the given kind (endpoint.NAME) from a traversal.
func (l *loader) ref(expr hcl.Expression, kind string) (string, bool) {
	t, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || t.RootName() != kind || len(t) != 2 || stepName(t[1]) == "" {
		l.errorf(expr.Range().Ptr(), "Invalid reference",
			"Expected a reference to %s %s block, like %s.NAME. A quoted string is not a reference: remove the quotes.", article(kind), kind, kind)
		return "", false
	}
	if d := l.checkTraversal(t, refOptions{}); d != nil {
		l.diags = append(l.diags, d)
		return "", false
	}
	return stepName(t[1]), true
}

// refList decodes a list of references to blocks of one kind: [endpoint.a, endpoint.b].
func (l *loader) refList(expr hcl.Expression, kind string) ([]string, bool) {
	exprs, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		l.errorf(expr.Range().Ptr(), "Invalid reference list",
			"Expected a list of references like [%s.a, %s.b].", kind, kind)
		return nil, false
	}
	ok := true
	var out []string
	for _, e := range exprs {
		n, good := l.ref(e, kind)
		if !good {
			ok = false
			continue
		}
		out = append(out, n)
	}
	return out, ok
}

// suggest returns the option closest to given, when it is close enough to be a likely typo.
func suggest(given string, options []string) string {
	best, bestDist := "", 0
	for _, o := range options {
		d := levenshtein.Distance(given, o, nil)
		limit := 2
		if len(o) > 8 {
			limit = 3
		}
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean returns ` Did you mean "x"?` for a likely typo of one of options, or "".
func didYouMean(given string, options []string) string {
	if s := suggest(given, options); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// article returns "an" for words starting with a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
