package plan_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/rundir"
)

// TestReplaceNeverMovesALiveRunDirectory: -replace moves a run directory aside only when no
// other process holds its lock (another project sharing output_dir, running it now); a
// locked one stays where it is and the run fails, saying why.
func TestReplaceNeverMovesALiveRunDirectory(t *testing.T) {
	e := newEnv(t)
	e.write(fmt.Sprintf(twoEndpoints, 1, "0", 8))
	gsm := `suite.s.run["native.gsm8k"]["a"]`
	if res := e.apply(e.plan(plan.Options{Refresh: true, Targets: []string{gsm}})); len(res.Errors) != 0 {
		t.Fatalf("apply: %v", res.Errors)
	}
	dir := filepath.Join(e.dir, e.state().Resources[gsm].RunDir)
	release, err := rundir.Lock(dir) // the other process
	if err != nil {
		t.Fatal(err)
	}
	res := e.apply(e.plan(plan.Options{Refresh: true, Targets: []string{gsm}, Replace: []string{gsm}}))
	if err := res.Errors[gsm]; !errors.Is(err, rundir.ErrBusy) && (err == nil || !strings.Contains(err.Error(), "in use by another evalplan process")) {
		t.Fatalf("replace of a locked run directory: %v, want it refused as busy", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Errorf("the locked run directory was moved or emptied: %v", err)
	}
	if aside, _ := filepath.Glob(dir + ".replaced-*"); len(aside) > 0 {
		t.Errorf("a locked run directory was moved aside: %v", aside)
	}
	release()
	if res := e.apply(e.plan(plan.Options{Refresh: true, Targets: []string{gsm}, Replace: []string{gsm}})); len(res.Errors) != 0 {
		t.Fatalf("replace once the lock is free: %v", res.Errors)
	}
	if aside, _ := filepath.Glob(dir + ".replaced-*"); len(aside) != 1 {
		t.Errorf("after the lock is free, -replace moved %v aside, want one", aside)
	}
}
