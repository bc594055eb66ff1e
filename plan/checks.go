package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// CheckResult is the outcome of a check block.
type CheckResult struct {
	Address string `json:"address"`
	// Status is "pass", "fail", "error" or "deferred" (inputs unknown at plan time).
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Check statuses.
const (
	CheckPass     = "pass"
	CheckFail     = "fail"
	CheckError    = "error"
	CheckDeferred = "deferred"
)

// SuiteValues builds the "suite" root object of expressions from state: for each suite,
// result[B][E] (the result object), scores[B][E], run[B][E] ({status, identity, run_dir})
// and compare[B][E_new][E_base] (the paired comparison recorded at apply time). Only
// complete runs have a result and score; compare holds every comparison state records,
// which apply records for complete and partial runs.
func SuiteValues(cfg *config.Config, st *state.File) cty.Value {
	suites := map[string]cty.Value{}
	for _, sname := range slices.Sorted(maps.Keys(cfg.Suites)) {
		results := map[string]map[string]cty.Value{}
		scores := map[string]map[string]cty.Value{}
		runs := map[string]map[string]cty.Value{}
		compares := map[string]map[string]cty.Value{}
		for addr, res := range st.Resources {
			ra, err := addrs.ParseRun(addr)
			if err != nil || ra.Suite != sname || res.Type != "run" {
				continue
			}
			b, e := ra.Benchmark, ra.Endpoint
			put(runs, b, e, cty.ObjectVal(map[string]cty.Value{
				"status":   cty.StringVal(string(res.Status)),
				"identity": cty.StringVal(res.Identity),
				"run_dir":  cty.StringVal(res.RunDir),
			}))
			if res.Status == state.StatusComplete && res.Result != nil {
				if v, err := toCty(res.Result); err == nil {
					put(results, b, e, v)
					put(scores, b, e, cty.NumberFloatVal(res.Result.Score))
				}
			}
			if v, err := toCty(res.Compare); err == nil && len(res.Compare) > 0 {
				put(compares, b, e, v)
			}
		}
		suites[sname] = cty.ObjectVal(map[string]cty.Value{
			"result":  nested(results),
			"scores":  nested(scores),
			"run":     nested(runs),
			"compare": nested(compares),
		})
	}
	return cty.ObjectVal(suites)
}

func put(m map[string]map[string]cty.Value, b, e string, v cty.Value) {
	if m[b] == nil {
		m[b] = map[string]cty.Value{}
	}
	m[b][e] = v
}

func nested(m map[string]map[string]cty.Value) cty.Value {
	out := map[string]cty.Value{}
	for b, inner := range m {
		out[b] = cty.ObjectVal(inner)
	}
	return cty.ObjectVal(out)
}

// toCty converts a JSON-encodable value to a cty value of its implied type.
func toCty(v any) (cty.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return cty.NilVal, err
	}
	t, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(b, t)
}

// runRefs lists the run addresses an expression reads through suite.S.result[B][E],
// suite.S.scores[B][E], suite.S.run[B][E] or suite.S.compare[B][E][E2] (both runs). ok is
// false when it reads a whole suite or table, whose runs cannot be told apart statically.
func runRefs(expr hcl.Expression) (refs []string, ok bool) {
	ok = true
	for _, tr := range expr.Variables() {
		keys, isSuite := suiteKeys(tr)
		if !isSuite {
			continue
		}
		if len(keys) >= 2 && keys[1] == "compare" {
			if len(keys) < 5 {
				ok = false
				continue
			}
			refs = append(refs, runAddr(keys[0], keys[2], keys[3]), runAddr(keys[0], keys[2], keys[4]))
			continue
		}
		if len(keys) < 4 {
			ok = false
			continue
		}
		refs = append(refs, runAddr(keys[0], keys[2], keys[3]))
	}
	sort.Strings(refs)
	return dedupe(refs), ok
}

// suiteKeys returns the attribute names and string keys of a traversal rooted at "suite".
func suiteKeys(tr hcl.Traversal) (keys []string, ok bool) {
	if tr.RootName() != "suite" {
		return nil, false
	}
	for _, step := range tr[1:] {
		switch s := step.(type) {
		case hcl.TraverseAttr:
			keys = append(keys, s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type() == cty.String {
				keys = append(keys, s.Key.AsString())
			}
		}
	}
	return keys, true
}

// compareRef is one suite.S.compare[B][E][E2] an expression reads.
type compareRef struct{ newAddr, base string }

// compareRefs lists the comparisons an expression reads, by new run address and base
// endpoint.
func compareRefs(expr hcl.Expression) []compareRef {
	var out []compareRef
	for _, tr := range expr.Variables() {
		keys, _ := suiteKeys(tr)
		if len(keys) >= 5 && keys[1] == "compare" {
			out = append(out, compareRef{runAddr(keys[0], keys[2], keys[3]), keys[4]})
		}
	}
	return out
}

// EvalCheck evaluates one check against state. When deferUnknown is true (plan time), a
// check that reads a run that will change, or that is not complete, is deferred.
func EvalCheck(cfg *config.Config, st *state.File, c *config.Check, changing map[string]bool, deferUnknown bool) CheckResult {
	out := CheckResult{Address: addrs.Check{Name: c.Name}.String()}
	refs, exact := runRefs(c.Condition)
	for _, addr := range refs {
		res := st.Resources[addr]
		if deferUnknown && (changing[addr] || res == nil) {
			out.Status, out.Message = CheckDeferred, addr+" is not known until apply"
			return out
		}
		if res == nil || res.Status != state.StatusComplete || res.Result == nil {
			status := "not run"
			if res != nil {
				status = string(res.Status)
			}
			out.Status = CheckFail
			out.Message = fmt.Sprintf("%s has no successful result (status: %s)", addr, status)
			return out
		}
	}
	for _, cr := range compareRefs(c.Condition) {
		if _, found := st.Resources[cr.newAddr].Compare[cr.base]; !found {
			out.Status = CheckFail
			out.Message = fmt.Sprintf("%s has no paired comparison with endpoint %q: the runs share no journaled samples", cr.newAddr, cr.base)
			return out
		}
	}
	if deferUnknown && !exact && len(changing) > 0 {
		out.Status, out.Message = CheckDeferred, "reads results that change in this plan"
		return out
	}
	ctx := cfg.EvalContext(map[string]cty.Value{"suite": SuiteValues(cfg, st)})
	v, diags := c.Condition.Value(ctx)
	if diags.HasErrors() {
		out.Status, out.Message = CheckError, diags.Error()
		return out
	}
	v, _ = v.UnmarkDeep()
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil || bv.IsNull() || !bv.IsKnown() {
		out.Status, out.Message = CheckError, "condition must be true or false"
		return out
	}
	if bv.True() {
		out.Status = CheckPass
		return out
	}
	out.Status = CheckFail
	out.Message = "check failed"
	if c.ErrorMessage != nil {
		if mv, d := c.ErrorMessage.Value(ctx); !d.HasErrors() {
			sensitive := mv.ContainsMarked()
			mv, _ = mv.UnmarkDeep()
			if s, err := convert.Convert(mv, cty.String); err == nil && !s.IsNull() && s.IsKnown() {
				out.Message = s.AsString()
			}
			if sensitive {
				out.Message = "check failed (its error_message uses a sensitive value and is not shown)"
			}
		}
	}
	if vals := traversalValues(ctx, c.Condition); vals != "" {
		out.Message += " (" + vals + ")"
	}
	return out
}

// planChecks evaluates the checks whose inputs are known at plan time.
func (e *Engine) planChecks(cfg *config.Config, st *state.File, p *Plan) []CheckResult {
	changing := map[string]bool{}
	for _, a := range p.Actions {
		if a.Action != ActionNone {
			changing[a.Address] = true
		}
	}
	var out []CheckResult
	for _, name := range slices.Sorted(maps.Keys(cfg.Checks)) {
		out = append(out, EvalCheck(cfg, st, cfg.Checks[name], changing, true))
	}
	return out
}

// EvalOutputs evaluates every output block against state. Sensitive outputs keep their
// value (outputs live in state) but are flagged so they are shown as (sensitive).
func EvalOutputs(cfg *config.Config, st *state.File) (map[string]state.Output, hcl.Diagnostics) {
	ctx := cfg.EvalContext(map[string]cty.Value{"suite": SuiteValues(cfg, st)})
	out := map[string]state.Output{}
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(cfg.Outputs)) {
		o := cfg.Outputs[name]
		if missing := missingRuns(st, o.Value); len(missing) > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Output not recorded",
				Detail:   fmt.Sprintf("%s reads %s, which has no successful result yet; it is recorded once that run completes.", addrs.Output{Name: name}, missing[0]),
				Subject:  o.DeclRange.Ptr(),
			})
			continue
		}
		v, d := o.Value.Value(ctx)
		if d.HasErrors() {
			for _, diag := range d {
				diag.Severity = hcl.DiagWarning
			}
			diags = append(diags, d...)
			continue
		}
		sensitive := o.Sensitive || v.ContainsMarked()
		if sensitive {
			out[name] = state.Output{Sensitive: true}
			continue
		}
		v, _ = v.UnmarkDeep()
		if !v.IsWhollyKnown() {
			continue
		}
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			continue
		}
		var plain any
		if json.Unmarshal(b, &plain) == nil {
			out[name] = state.Output{Value: plain}
		}
	}
	return out, diags
}

// maxValueText bounds the text of one value shown in a failed check's message.
const maxValueText = 200

// traversalValues renders the suite.* values an expression reads, for a failed check's
// message: `suite.quick.result["native.gsm8k"]["qwen"].score = 0.74, ...`. Values that
// cannot be read, or whose text is long, are left out.
func traversalValues(ctx *hcl.EvalContext, expr hcl.Expression) string {
	var parts []string
	seen := map[string]bool{}
	for _, tr := range expr.Variables() {
		if tr.RootName() != "suite" {
			continue
		}
		name := traversalText(tr)
		if seen[name] {
			continue
		}
		seen[name] = true
		v, diags := tr.TraverseAbs(ctx)
		if diags.HasErrors() {
			continue
		}
		text, ok := valueText(v)
		if !ok || len(text) > maxValueText {
			continue
		}
		parts = append(parts, name+" = "+text)
	}
	return strings.Join(parts, ", ")
}

// traversalText writes a traversal as it would appear in HCL source.
func traversalText(tr hcl.Traversal) string {
	var b strings.Builder
	for _, step := range tr {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			t, _ := valueText(s.Key)
			b.WriteString("[" + t + "]")
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// valueText renders a known value compactly: numbers with at most four significant
// decimals, strings quoted, collections in HCL syntax.
func valueText(v cty.Value) (string, bool) {
	v, _ = v.UnmarkDeep()
	switch {
	case !v.IsWhollyKnown():
		return "", false
	case v.IsNull():
		return "null", true
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return strconv.Quote(v.AsString()), true
	case t == cty.Bool:
		return strconv.FormatBool(v.True()), true
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return numberText(f), true
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var items []string
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			s, ok := valueText(ev)
			if !ok {
				return "", false
			}
			items = append(items, s)
		}
		return "[" + strings.Join(items, ", ") + "]", true
	case t.IsMapType() || t.IsObjectType():
		var items []string
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			s, ok := valueText(ev)
			if !ok {
				return "", false
			}
			items = append(items, fmt.Sprintf("%s = %s", hclKey(k.AsString()), s))
		}
		return "{" + strings.Join(items, ", ") + "}", true
	}
	return "", false
}

// numberText shows integers exactly and other numbers to four significant digits (four
// decimals at and above 1).
func numberText(f float64) string {
	switch {
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatFloat(f, 'f', -1, 64)
	case math.Abs(f) >= 1:
		return strconv.FormatFloat(math.Round(f*1e4)/1e4, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'g', 4, 64)
	if g, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(g, 'f', -1, 64)
	}
	return s
}

// hclKey writes an object key bare when it is a plain identifier (letters, digits and
// underscores), else quoted.
func hclKey(k string) string {
	for i, r := range k {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return strconv.Quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// missingRuns lists the runs an expression indexes exactly (suite.S.result[B][E] and the
// like) that have no complete result in state.
func missingRuns(st *state.File, expr hcl.Expression) []string {
	refs, _ := runRefs(expr)
	var out []string
	for _, addr := range refs {
		if res := st.Resources[addr]; res == nil || res.Status != state.StatusComplete || res.Result == nil {
			out = append(out, addr)
		}
	}
	return out
}

// runAddr is the address of the run of benchmark on endpoint in suite.
func runAddr(suite, benchmark, endpoint string) string {
	return addrs.Run{Suite: suite, Benchmark: benchmark, Endpoint: endpoint}.String()
}
