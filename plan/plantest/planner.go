package plantest

import (
	"context"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
)

// Planner is the planning half of a fake runner (plan.Runner's Kind and PlanRun), for
// engine tests whose runners only pretend to run. It plans as evalplan's runners do in
// outline: a built-in task reads its canonical dataset and a task block its dataset (a
// benchmark block's dataset replaces either), a task block adds its canonical text and
// few-shot dataset, a task with an image is identified by it (a benchmark block's image
// replaces it). Embed it in a fake runner.
type Planner struct{}

// Kind implements plan.Runner.
func (Planner) Kind() plan.RunnerKind { return "fake" }

// PlanRun implements plan.Runner.
func (Planner) PlanRun(_ context.Context, req *plan.RunRequest) (*plan.RunPlan, error) {
	rp := &plan.RunPlan{}
	t := req.Task
	if ut := req.UserTask; ut != nil {
		rp.Task = ut.Canonical
		rp.Dataset = req.Config.Datasets[ut.Dataset]
		if ut.FewShotDataset != "" {
			rp.FewShot = req.Config.Datasets[ut.FewShotDataset]
		}
	}
	if n := t.Native; n != nil {
		rp.Dataset = &config.Dataset{Name: t.Name, Source: n.Source, SHA256: n.SHA256, Format: n.Format}
		rp.Scorer = n.Scorer
	}
	if t.Image != "" {
		rp.Image = t.Image + "@" + t.Digest
		rp.Pull = rp.Image
	}
	if ov := req.Override; ov != nil {
		if ov.Dataset != "" {
			rp.Dataset = req.Config.Datasets[ov.Dataset]
		}
		if ov.Image != "" {
			rp.Image, rp.Pull = ov.Image, ov.Image
		}
	}
	// Like the native runner, a run of a dataset resumes from its journal; an image does not.
	rp.Resumable = rp.Dataset != nil
	return rp, nil
}
