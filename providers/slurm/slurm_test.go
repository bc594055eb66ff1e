package slurm

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan/config"
)

func TestSbatchArgs(t *testing.T) {
	x := &Executor{ConfigDir: "/cfg", Config: &config.Executor{
		Partition: "gpu", Account: "eval", TimeLimit: "02:00:00", Mem: "32G", GPUsPerNode: 1, CPUsPerTask: 8,
		Exclusive: true, SbatchArgs: []string{"--reservation=r1"},
	}}
	got := x.sbatchArgs(`evalplan:suite.q.run["native.gsm8k"]["m"]`, "/shared/jobs/x/slurm-%j.out")
	want := []string{
		"--parsable", "--job-name", `evalplan:suite.q.run["native.gsm8k"]["m"]`, "--output", "/shared/jobs/x/slurm-%j.out", "--chdir", "/cfg",
		"--partition=gpu", "--account=eval", "--time=02:00:00", "--mem=32G", "--gpus-per-node=1", "--cpus-per-task=8",
		"--exclusive", "--reservation=r1",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sbatch args (-want +got):\n%s", d)
	}
}

func TestStates(t *testing.T) {
	for st, want := range map[string][2]bool{ // terminal, resubmitted
		"PENDING": {false, false}, "RUNNING": {false, false}, "COMPLETING": {false, false},
		"COMPLETED": {true, false}, "FAILED": {true, false}, "CANCELLED": {true, false},
		"TIMEOUT": {true, true}, "PREEMPTED": {true, true}, "NODE_FAIL": {true, true}, "GONE": {true, true},
	} {
		if got := [2]bool{terminal(st), retryable(st)}; got != want {
			t.Errorf("%s: terminal, retryable = %v, want %v", st, got, want)
		}
	}
}
