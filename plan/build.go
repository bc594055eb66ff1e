package plan

import (
	"maps"
	"slices"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/graph"
	"github.com/hashicorp/hcl/v2"
)

// BuildGraph builds the dependency graph of a plan: a node per action, and the endpoints,
// datasets, exporters, checks and outputs they relate to. Each run depends on its endpoint,
// judge and datasets, each export on its run, each check and output on the runs it reads.
// It is the one builder: `evalplan graph` prints it and apply walks it.
func BuildGraph(cfg *config.Config, p *Plan) *graph.Graph {
	g := graph.New()
	bySuite := map[string][]string{}
	for _, a := range p.Actions {
		g.Add(a.Address)
		if r := a.Run; r != nil {
			for _, dep := range runDeps(r) {
				g.Connect(a.Address, dep.String())
			}
			bySuite[r.Addr.Suite] = append(bySuite[r.Addr.Suite], a.Address)
		}
		if a.Action == ActionExport {
			if x, err := addrs.ParseExport(a.Address); err == nil {
				g.Connect(a.Address, x.Run.String())
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(cfg.Exporters)) {
		g.Add(exporterAddr(cfg.Exporters[key]).String())
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Checks)) {
		connectReaders(g, addrs.Check{Name: name}.String(), cfg.Checks[name].Condition, bySuite)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Outputs)) {
		connectReaders(g, addrs.Output{Name: name}.String(), cfg.Outputs[name].Value, bySuite)
	}
	return g
}

// runDeps are the addresses a planned run depends on.
func runDeps(r *PlannedRun) []addrs.Addr {
	deps := []addrs.Addr{addrs.Endpoint{Name: r.Endpoint.Name}}
	if r.Judge != nil {
		deps = append(deps, addrs.Endpoint{Name: r.Judge.Name})
	}
	for _, ds := range []*config.Dataset{r.Plan.Dataset, r.Plan.FewShot} {
		if ds != nil {
			deps = append(deps, addrs.Dataset{Name: ds.Name})
		}
	}
	return deps
}

// connectReaders adds node, depending on the runs in the graph that expr reads.
func connectReaders(g *graph.Graph, node string, expr hcl.Expression, bySuite map[string][]string) {
	g.Add(node)
	for _, r := range exprRuns(expr, bySuite) {
		if g.Has(r) {
			g.Connect(node, r)
		}
	}
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
