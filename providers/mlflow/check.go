package mlflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/evalplan/evalplan/plan/config"
)

// checkTimeout bounds the calls to one tracking server in Check.
const checkTimeout = 10 * time.Second

var _ plan.Checker = (*Exporter)(nil)

// Check implements plan.Checker for the mlflow exporters that planned exports send to: the
// tracking server must answer, or, with server { managed = true }, apply must be able to
// start one, which needs the mlflow program (EVALPLAN_MLFLOW, else PATH). Nothing is started.
func (e *Exporter) Check(ctx context.Context, cfg *config.Config, needs *plan.Needs) []plan.Check {
	var out []plan.Check
	for _, x := range needs.Exporters {
		if x.Type != "mlflow" {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		out = append(out, e.checkExporter(cctx, x))
		cancel()
	}
	return out
}

func (e *Exporter) checkExporter(ctx context.Context, x *config.Exporter) plan.Check {
	addr := addrs.Exporter{Type: x.Type, Name: x.Name}.String()
	c := plan.Check{Section: plan.SectionExporters, Name: addr, Mark: plan.MarkNotReady}
	s, err := ParseSettings(x, e.getenv)
	if err != nil {
		c.Detail = strings.TrimPrefix(err.Error(), addr+": ")
		return c
	}
	cl, err := e.Client(s)
	if err != nil {
		c.Detail, c.Fix = err.Error(), "fix tracking_uri"
		return c
	}
	err = cl.Health(ctx)
	version := ""
	if err == nil {
		version, err = cl.Version(ctx)
	}
	switch {
	case err == nil:
		c.Mark, c.Detail = plan.MarkReady, fmt.Sprintf("MLflow %s at %s", version, cl.URI())
	case s.Managed:
		bin, ferr := FindBinary(e.getenv)
		if ferr != nil {
			c.Detail = fmt.Sprintf("no MLflow server answers at %s, and apply cannot start the managed one: %v", cl.URI(), ferr)
			c.Fix = "install MLflow so that mlflow is on PATH, or set EVALPLAN_MLFLOW to the mlflow program; or start a server at " + cl.URI()
			return c
		}
		c.Mark = plan.MarkInfo
		c.Detail = fmt.Sprintf("managed server not running at %s: apply starts it with %s ('evalplan mlflow start' starts it now)", cl.URI(), bin)
	default:
		c.Detail = fmt.Sprintf("%s does not answer: %v", cl.URI(), err)
		c.Fix = "start the MLflow server, fix tracking_uri, or set server { managed = true } to let evalplan run one"
	}
	return c
}
