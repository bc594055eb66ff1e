package plan

import (
	"testing"

	"github.com/evalplan/evalplan/plan/addrs"
	"github.com/google/go-cmp/cmp"
)

func TestSortActionsExportFollowsRun(t *testing.T) {
	runA := addrs.Run{Suite: "s", Benchmark: "native.gsm8k", Endpoint: "a"}
	runB := addrs.Run{Suite: "s", Benchmark: "native.gsm8k", Endpoint: "b"}
	x := addrs.Exporter{Type: "mlflow", Name: "team"}
	var actions []*Action
	for _, a := range []string{
		addrs.Export{Exporter: x, Run: runB}.String(), runB.String(),
		addrs.Export{Exporter: x, Run: runA}.String(), runA.String(), "suite.s.run[\"x\"][\"a\"]",
	} {
		actions = append(actions, &Action{Address: a})
	}
	sortActions(actions)
	var got []string
	for _, a := range actions {
		got = append(got, a.Address)
	}
	want := []string{
		runA.String(), addrs.Export{Exporter: x, Run: runA}.String(),
		runB.String(), addrs.Export{Exporter: x, Run: runB}.String(),
		"suite.s.run[\"x\"][\"a\"]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
