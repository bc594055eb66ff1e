package container

import (
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/config"
	"github.com/google/go-cmp/cmp"
)

// TestLeftoverLabels: an earlier attempt's container is selected by address and project,
// never by identity (an interrupted apply may have run an older configuration), and never
// by address alone when the project is known (another project may share the daemon).
func TestLeftoverLabels(t *testing.T) {
	dir := t.TempDir()
	spec := &plan.RunSpec{Address: `suite.s.run["b"]["e"]`, Identity: "abc"}
	cfg := &config.Config{Dir: dir}
	want := map[string]string{LabelAddress: spec.Address, LabelProject: dir}
	if diff := cmp.Diff(want, leftoverLabels(cfg, spec)); diff != "" {
		t.Errorf("leftoverLabels (-want +got):\n%s", diff)
	}
	want[LabelIdentity] = "abc"
	if diff := cmp.Diff(want, runLabels(cfg, spec)); diff != "" {
		t.Errorf("runLabels (-want +got):\n%s", diff)
	}
	if got := leftoverLabels(nil, spec); len(got) != 1 || got[LabelAddress] != spec.Address {
		t.Errorf("leftoverLabels without a configuration = %v", got)
	}
}
