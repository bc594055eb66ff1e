package native

import (
	"context"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/schema"
)

// Kind is the runner kind of native tasks and task blocks.
const Kind plan.RunnerKind = "native"

// Kind implements plan.Runner.
func (r *Runner) Kind() plan.RunnerKind { return Kind }

// PlanRun implements plan.Runner. A native run reads one dataset: the built-in task's
// canonical source, a task block's dataset, or the benchmark block's dataset in their
// place; a task block may add a few-shot dataset. Their sha256, the scorer version and a
// task block's canonical text are the runner's part of the identity.
func (r *Runner) PlanRun(_ context.Context, req *plan.RunRequest) (*plan.RunPlan, error) {
	rp := &plan.RunPlan{Resumable: true}
	if ut := req.UserTask; ut != nil {
		rp.Task = ut.Canonical
		rp.Dataset = req.Config.Datasets[ut.Dataset]
		if ut.FewShotDataset != "" {
			rp.FewShot = req.Config.Datasets[ut.FewShotDataset]
		}
	}
	if n := req.Task.Native; n != nil {
		rp.Dataset = canonicalDataset(req.Task)
		rp.Scorer = n.Scorer
	}
	if ov := req.Override; ov != nil && ov.Dataset != "" {
		rp.Dataset = req.Config.Datasets[ov.Dataset]
	}
	return rp, nil
}

// canonicalDataset is the dataset block equivalent of a built-in task's canonical source.
func canonicalDataset(t *schema.Task) *config.Dataset {
	return &config.Dataset{Name: t.Name, Source: t.Native.Source, SHA256: t.Native.SHA256, Format: t.Native.Format}
}
