package plan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/google/go-cmp/cmp"
)

// TestCommittedStateWithoutArtifacts: a state used where its output directory is not (a
// fresh clone in CI) keeps every recorded complete result up to date and notes what is
// absent; exports send the summary; -replace re-creates the artifacts.
func TestCommittedStateWithoutArtifacts(t *testing.T) {
	e := newEnv(t)
	x := &fakeExporter{}
	e.engine.Exporters = map[string]plan.Exporter{"local": x}
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	if res := e.apply(e.plan(plan.Options{Refresh: true})); len(res.Errors) != 0 {
		t.Fatalf("apply errors: %v", res.Errors)
	}
	if err := os.RemoveAll(filepath.Join(e.dir, "output")); err != nil {
		t.Fatal(err)
	}
	p := e.plan(plan.Options{Refresh: true})
	if p.Summary.Changes() {
		t.Fatalf("a fresh clone without output/ plans changes: %+v", p.Summary)
	}
	for _, a := range p.Actions {
		if a.Reason != plan.ReasonArtifactsAbsent {
			t.Errorf("%s: reason %q, want %q", a.Address, a.Reason, plan.ReasonArtifactsAbsent)
		}
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "4 up-to-date run(s) have no artifacts here") {
		t.Errorf("notes = %q", p.Notes)
	}

	// An exporter added now exports the recorded summary and says the artifacts are absent.
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8) + `
exporter "local" "files" {
  suites = [suite.s]
}`)
	gsm := `suite.s.run["native.gsm8k"]["a"]`
	p = e.plan(plan.Options{Refresh: true, Targets: []string{gsm}})
	if diff := cmp.Diff(map[string]plan.ActionType{
		gsm: plan.ActionNone,
		`exporter.local.files.export[suite.s.run["native.gsm8k"]["a"]]`: plan.ActionExport,
	}, actions(p)); diff != "" {
		t.Fatalf("plan with an exporter (-want +got):\n%s", diff)
	}
	for _, a := range p.Actions {
		if a.Action == plan.ActionExport && !strings.Contains(a.Reason, "exported without them") {
			t.Errorf("export reason %q does not say the artifacts are absent", a.Reason)
		}
	}
	if res := e.apply(p); len(res.Errors) != 0 {
		t.Fatalf("export without artifacts: %v", res.Errors)
	}
	if len(x.calls) != 1 || len(e.runner.runs) != 4 {
		t.Errorf("exporter calls %v, runs %v: want one export and no new run", x.calls, e.runner.runs)
	}

	// -replace re-creates the artifacts of the runs it names.
	p = e.plan(plan.Options{Refresh: true, Replace: []string{gsm}, Targets: []string{gsm}})
	if got := actions(p)[gsm]; got != plan.ActionReplace {
		t.Fatalf("-replace: %s, want replace", got)
	}
	e.apply(p)
	dir := filepath.Join(e.dir, e.state().Resources[gsm].RunDir)
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Errorf("-replace did not re-create the artifacts: %v", err)
	}
}
