package plan

import (
	"context"
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/graph"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/hashicorp/hcl/v2"
)

// Graph builds the dependency graph of a configuration without probing endpoints: each run
// depends on its endpoint and dataset, each export on its run, each check on the runs it
// reads.
func (e *Engine) Graph(ctx context.Context, cfg *config.Config, st *state.File) (*graph.Graph, hcl.Diagnostics) {
	fps, diags := e.refresh(ctx, cfg, priorFingerprints(st), false)
	runs, _, _, d := e.expand(ctx, cfg, fps)
	diags = append(diags, d...)
	g := graph.New()
	bySuite := map[string][]string{}
	for _, r := range runs {
		g.Connect(r.Addr, EndpointAddr(r.Endpoint))
		if r.Dataset != nil {
			g.Connect(r.Addr, DatasetAddr(r.Dataset.Name))
		}
		bySuite[r.Suite] = append(bySuite[r.Suite], r.Addr)
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Exporters)) {
		x := cfg.Exporters[key]
		addr := "exporter." + key
		g.Add(addr)
		for _, s := range x.Suites {
			for _, run := range bySuite[s] {
				g.Connect(addr+".export["+quote(run)+"]", run)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Checks)) {
		addr := CheckAddr(name)
		g.Add(addr)
		for _, r := range exprRuns(cfg.Checks[name].Condition, bySuite) {
			if g.Has(r) {
				g.Connect(addr, r)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Outputs)) {
		addr := "output." + name
		g.Add(addr)
		for _, r := range exprRuns(cfg.Outputs[name].Value, bySuite) {
			if g.Has(r) {
				g.Connect(addr, r)
			}
		}
	}
	return g, diags
}

func quote(s string) string {
	b := []byte{'"'}
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}

// exprRuns lists the runs an expression reads: exactly, when it indexes suite.S.result[B][E]
// and the like, else every run of each suite it names.
func exprRuns(expr hcl.Expression, bySuite map[string][]string) []string {
	refs, exact := runRefs(expr)
	if exact {
		return refs
	}
	for _, tr := range expr.Variables() {
		if tr.RootName() == "suite" && len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				refs = append(refs, bySuite[a.Name]...)
			}
		}
	}
	return refs
}
