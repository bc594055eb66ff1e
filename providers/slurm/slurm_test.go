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

func TestParseMaxArraySize(t *testing.T) {
	tests := []struct {
		config string
		want   int
		ok     bool
	}{
		{"MaxArraySize            = 1001\nMaxJobCount             = 10000\n", 1001, true},
		{"MaxJobCount = 10000\nMaxArraySize = 40001\n", 40001, true},
		{"MaxArraySize = 1\n", 1, true}, // arrays of task 0 only
		{"MaxArraySize = 0\n", 0, false},
		{"MaxArraySizeX = 10\n", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		n, ok := parseMaxArraySize(tt.config)
		if d := cmp.Diff([2]any{tt.want, tt.ok}, [2]any{n, ok}); d != "" {
			t.Errorf("parseMaxArraySize(%q) (-want +got):\n%s", tt.config, d)
		}
	}
}
