package endpoint

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

var _ plan.Checker = (*Provider)(nil)

// Check implements plan.Checker: it probes each external endpoint in needs (as refresh does)
// and reports what it serves, or why it cannot be used and what to do. With needs.NoRefresh
// nothing is probed.
func (p *Provider) Check(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	var out []plan.Check
	for _, ep := range needs.Endpoints {
		addr := addrs.Endpoint{Name: ep.Name}.String()
		if needs.NoRefresh {
			out = append(out, plan.Check{Section: plan.SectionEndpoints, Name: addr, Mark: plan.MarkInfo, Detail: "not probed (-refresh=false)"})
			continue
		}
		fp, err := p.Probe(ctx, ep)
		if err != nil {
			out = append(out, plan.Check{Section: plan.SectionEndpoints, Name: addr, Mark: plan.MarkNotReady,
				Detail: strings.TrimPrefix(err.Error(), addr+": "),
				Fix:    "start the model server, or fix url and model in " + declFile(cfg, ep)})
			continue
		}
		d := fmt.Sprintf("reachable, serves %q", fp.Model)
		if fp.MaxModelLen > 0 {
			d += fmt.Sprintf(", max_model_len %d", fp.MaxModelLen)
		}
		out = append(out, plan.Check{Section: plan.SectionEndpoints, Name: addr, Mark: plan.MarkReady, Detail: d})
	}
	return out
}

// declFile names the file that declares ep, relative to the configuration directory.
func declFile(cfg *config.Config, ep *config.Endpoint) string {
	path := ep.DeclRange.Filename
	if path == "" {
		return "the configuration"
	}
	if r, err := filepath.Rel(cfg.Dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
