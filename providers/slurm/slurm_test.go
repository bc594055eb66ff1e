package slurm

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/plan"
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

func TestJobArgs(t *testing.T) {
	x := &Executor{ConfigDir: "/cfg", Config: &config.Executor{GPUsPerNode: 2, CPUsPerTask: 4, SbatchArgs: []string{"--reservation=r1"}}}
	head := []string{"--parsable", "--job-name", "n", "--output", "o", "--chdir", "/cfg"}
	tests := []struct {
		name string
		r    *request
		want []string
	}{
		{"a run's job", &request{}, append(head, "--gpus-per-node=2", "--cpus-per-task=4", "--reservation=r1")},
		{"a run job of a server job: no GPUs, a dependency", &request{noGPUs: true, extra: []string{"--dependency=after:41"}},
			append(head, "--cpus-per-task=4", "--reservation=r1", "--dependency=after:41")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, x.jobArgs(tt.r, "n", "o")); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestNodeURL(t *testing.T) {
	tests := []struct{ local, host, want string }{
		{"http://127.0.0.1:8000/v1", "gpu07", "http://gpu07:8000/v1"},
		{"http://127.0.0.1:41234/v1", "node-3.cluster.local", "http://node-3.cluster.local:41234/v1"},
	}
	for _, tt := range tests {
		got, err := NodeURL(tt.local, tt.host)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("NodeURL(%q, %q) (-want +got):\n%s", tt.local, tt.host, d)
		}
	}
}

func TestSpecRuns(t *testing.T) {
	one := &plan.RemoteRun{Address: "a"}
	two := &plan.RemoteRun{Address: "b"}
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"one run", Spec{Outcome: "/j/outcome-%j.json", Run: one}, []string{"a /j/outcome-%j.json"}},
		{"a group", Spec{Group: []GroupRun{{Outcome: "/a/o", Run: one}, {Outcome: "/b/o", Run: two}}}, []string{"a /a/o", "b /b/o"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, g := range tt.spec.Runs() {
				got = append(got, g.Run.Address+" "+g.Outcome)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
