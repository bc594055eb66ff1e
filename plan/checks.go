package plan

import (
	"encoding/json"
	"fmt"
	"sort"

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
// result[B][E] (the result object), scores[B][E] and run[B][E] ({status, identity, run_dir}).
// Only complete runs have a result and score.
func SuiteValues(cfg *config.Config, st *state.File) cty.Value {
	suites := map[string]cty.Value{}
	for _, sname := range sortedKeys(cfg.Suites) {
		results := map[string]map[string]cty.Value{}
		scores := map[string]map[string]cty.Value{}
		runs := map[string]map[string]cty.Value{}
		for addr, res := range st.Resources {
			s, b, e, ok := ParseRunAddr(addr)
			if !ok || s != sname || res.Type != "run" {
				continue
			}
			put(runs, b, e, cty.ObjectVal(map[string]cty.Value{
				"status":   cty.StringVal(res.Status),
				"identity": cty.StringVal(res.Identity),
				"run_dir":  cty.StringVal(res.RunDir),
			}))
			if res.Status == state.StatusComplete && res.Result != nil {
				if v, err := toCty(res.Result); err == nil {
					put(results, b, e, v)
					put(scores, b, e, cty.NumberFloatVal(res.Result.Score))
				}
			}
		}
		suites[sname] = cty.ObjectVal(map[string]cty.Value{
			"result":  nested(results),
			"scores":  nested(scores),
			"run":     nested(runs),
			"compare": cty.EmptyObjectVal,
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
// suite.S.scores[B][E] or suite.S.run[B][E]. ok is false when it reads a whole suite or
// table, whose runs cannot be told apart statically.
func runRefs(expr hcl.Expression) (addrs []string, ok bool) {
	ok = true
	for _, tr := range expr.Variables() {
		if tr.RootName() != "suite" {
			continue
		}
		var keys []string
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
		if len(keys) < 4 {
			ok = false
			continue
		}
		addrs = append(addrs, RunAddr(keys[0], keys[2], keys[3]))
	}
	sort.Strings(addrs)
	return addrs, ok
}

// EvalCheck evaluates one check against state. When deferUnknown is true (plan time), a
// check that reads a run that will change, or that is not complete, is deferred.
func EvalCheck(cfg *config.Config, st *state.File, c *config.Check, changing map[string]bool, deferUnknown bool) CheckResult {
	out := CheckResult{Address: CheckAddr(c.Name)}
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
				status = res.Status
			}
			out.Status = CheckFail
			out.Message = fmt.Sprintf("%s has no successful result (status: %s)", addr, status)
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
			mv, _ = mv.UnmarkDeep()
			if s, err := convert.Convert(mv, cty.String); err == nil && !s.IsNull() && s.IsKnown() {
				out.Message = s.AsString()
			}
		}
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
	for _, name := range sortedKeys(cfg.Checks) {
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
	for _, name := range sortedKeys(cfg.Outputs) {
		o := cfg.Outputs[name]
		v, d := o.Value.Value(ctx)
		if d.HasErrors() {
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
