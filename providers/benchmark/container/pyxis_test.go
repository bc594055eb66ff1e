package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evalplan/evalplan/providers/container"
)

// TestPyxisImage: srun --container-image gets enroot's REGISTRY#IMAGE form for images of a
// registry, keeping tag and digest; Docker Hub images keep their name.
func TestPyxisImage(t *testing.T) {
	const digest = "sha256:9a7c36ea625e2ff9ba4aa5d1e9e7bb2c1a1b3a1f2c1a8e1d2b3c4d5e6f708192"
	for _, c := range []struct{ ref, want string }{
		{"nvcr.io/nvidia/eval-factory/simple-evals:26.03@" + digest, "nvcr.io#nvidia/eval-factory/simple-evals:26.03@" + digest},
		{"127.0.0.1:5000/eval-factory/simple-evals@" + digest, "127.0.0.1:5000#eval-factory/simple-evals@" + digest},
		{"localhost/team/harness:v1", "localhost#team/harness:v1"},
		{"ubuntu:24.04", "ubuntu:24.04"},
		{"team/harness@" + digest, "team/harness@" + digest},
	} {
		img, err := container.ParseImage(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := PyxisImage(img); got != c.want {
			t.Errorf("PyxisImage(%s) = %s, want %s", c.ref, got, c.want)
		}
	}
}

// TestPyxisArgs: the evaluator's step shares the job's resources, mounts the run directory
// at /results (and the private run configuration read-only, and hf_cache), and takes the
// run's variables from the step's environment over the image's.
func TestPyxisArgs(t *testing.T) {
	img, err := container.ParseImage("127.0.0.1:5000/eval-factory/simple-evals:26.03")
	if err != nil {
		t.Fatal(err)
	}
	opts := &runOpts{binds: []string{"/cache/hf:" + HFHome}}
	env := []string{"ADAPTER_PORT=3825", "EVALPLAN_API_KEY=tok", "HF_HOME=" + HFHome}
	for _, c := range []struct {
		name, private string
		want          []string
	}{
		{"public", "", []string{"--overlap", "--ntasks=1", "--nodes=1", "--kill-on-bad-exit=1", "--job-name=evalplan-evaluator",
			"--container-image=127.0.0.1:5000#eval-factory/simple-evals:26.03",
			"--container-mounts=/runs/r1:/results,/cache/hf:" + HFHome,
			"--container-workdir=/results", "--container-writable", "--no-container-mount-home",
			"--container-env=ADAPTER_PORT,EVALPLAN_API_KEY,HF_HOME",
			"nemo-evaluator", "run_eval", "--run_config", "/results/run_config.yml"}},
		{"private config", "/tmp/evalplan-run-config-1.yml", []string{"--overlap", "--ntasks=1", "--nodes=1", "--kill-on-bad-exit=1", "--job-name=evalplan-evaluator",
			"--container-image=127.0.0.1:5000#eval-factory/simple-evals:26.03",
			"--container-mounts=/runs/r1:/results,/tmp/evalplan-run-config-1.yml:/evalplan/run_config.yml:ro,/cache/hf:" + HFHome,
			"--container-workdir=/results", "--container-writable", "--no-container-mount-home",
			"--container-env=ADAPTER_PORT,EVALPLAN_API_KEY,HF_HOME",
			"nemo-evaluator", "run_eval", "--run_config", "/evalplan/run_config.yml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, pyxisArgs(PyxisImage(img), "/runs/r1", c.private, opts, env)); diff != "" {
				t.Errorf("srun arguments (-want +got):\n%s", diff)
			}
		})
	}
}
