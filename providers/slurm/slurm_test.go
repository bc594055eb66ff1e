package slurm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestArraysSplitAtMaxArraySize: a batch larger than the controller's MaxArraySize goes as
// several arrays, each within it (stand-in sbatch and scontrol on PATH record the calls).
func TestArraysSplitAtMaxArraySize(t *testing.T) {
	bin, log := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	writeScript(t, filepath.Join(bin, "scontrol"), "#!/bin/sh\necho 'MaxArraySize            = 11'\n")
	// sbatch answers 100, 101, … and logs its --array option.
	writeScript(t, filepath.Join(bin, "sbatch"), fmt.Sprintf(`#!/bin/sh
for a; do case "$a" in --array=*) echo "$a" >> %q;; esac; done
n=$(wc -l < %q)
echo $((99 + n))
`, log, log))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	x := &Executor{ConfigDir: t.TempDir(), Config: &config.Executor{SharedDir: t.TempDir(), Evalplan: "evalplan"}}
	// One batch of 25 ready runs, flushed as the batch window's timer would.
	const runs = 25
	for i := range runs {
		x.batch.pending = append(x.batch.pending, &request{name: fmt.Sprintf("r%d", i), spec: fmt.Sprintf("/spec/%d", i), dir: t.TempDir(), done: make(chan submitted, 1)})
	}
	reqs := x.batch.pending
	x.flush()
	var ids []string
	for _, r := range reqs {
		res := <-r.done
		if res.err != nil {
			t.Fatal(res.err)
		}
		ids = append(ids, res.id)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"--array=0-9", "--array=0-9", "--array=0-4"}, strings.Fields(string(b))); d != "" {
		t.Errorf("sbatch --array options (-want +got):\n%s", d)
	}
	slices.Sort(ids)
	var want []string
	for a, n := range map[int]int{100: 10, 101: 10, 102: 5} {
		for i := range n {
			want = append(want, fmt.Sprintf("%d_%d", a, i))
		}
	}
	slices.Sort(want)
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("job ids (-want +got):\n%s", d)
	}
}

func writeScript(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}
