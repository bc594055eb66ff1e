package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"

	"github.com/evalplan/evalplan/plan/rundir"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/evalplan/evalplan/providers/container/containertest"
)

// TestSlurmNeMo runs testdata/slurm-nemo/*.txtar: NVIDIA's real evaluator (the stand-in
// images of .ci/services.d/70-nemo-images.sh and the venv of 75-nemo-runtime.sh) as Slurm
// jobs on the test cluster, against the in-process simulator, offline.
//
// The scripts get NEMO_IMAGE, the simple-evals image pushed to the local registry under a
// repository of its own and removed from the daemon under that name (so the job's node must
// pull it), and NEMO_VENV and NEMO_HF_CACHE.
func TestSlurmNeMo(t *testing.T) {
	if os.Getenv("EVALPLAN_TEST_SLURM") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_SLURM is not set: run .ci/services.sh first")
		}
		t.Skip("no Slurm cluster: run .ci/services.sh (it exports EVALPLAN_TEST_SLURM=1)")
	}
	standIn := containertest.Env(t, "EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE")
	venv := containertest.Env(t, "EVALPLAN_TEST_NEMO_RUNTIME_VENV")
	hf := containertest.Env(t, "EVALPLAN_TEST_NEMO_HF_CACHE")
	reg := containertest.OpenRegistry(t)
	img := pushedElsewhere(t, reg, standIn)
	p := scriptParams(t, "testdata/slurm-nemo")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		env.Setenv("NEMO_IMAGE", img)
		env.Setenv("NEMO_VENV", venv)
		env.Setenv("NEMO_HF_CACHE", hf)
		return nil
	}
	p.Cmds["harnessresult"] = cmdHarnessResult
	testscript.Run(t, p)
}

// TestSlurmPyxis runs testdata/slurm-pyxis/*.txtar: a NeMo container task as a Slurm job on
// an executor with containers = "pyxis", through the real Pyxis plugin and enroot of the
// test cluster (.ci/services.d/82-pyxis.sh, which exports EVALPLAN_TEST_PYXIS=1). The
// scripts get NEMO_IMAGE as TestSlurmNeMo does: absent from the Docker daemon, so only
// enroot's import can have brought it to the node.
func TestSlurmPyxis(t *testing.T) {
	if os.Getenv("EVALPLAN_TEST_SLURM") == "" || os.Getenv("EVALPLAN_TEST_PYXIS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_SLURM or EVALPLAN_TEST_PYXIS is not set: run .ci/services.sh first")
		}
		t.Skip("no Slurm cluster with Pyxis: run .ci/services.sh (it exports EVALPLAN_TEST_SLURM=1 and EVALPLAN_TEST_PYXIS=1)")
	}
	standIn := containertest.Env(t, "EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE")
	reg := containertest.OpenRegistry(t)
	img := pushedElsewhere(t, reg, standIn)
	p := scriptParams(t, "testdata/slurm-pyxis")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		env.Setenv("NEMO_IMAGE", img)
		return nil
	}
	p.Cmds["harnessresult"] = cmdHarnessResult
	api := containertest.Docker(t)
	// dockerabsent REF: the Docker daemon has no image REF.
	p.Cmds["dockerabsent"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: dockerabsent REF")
		}
		_, err := api.ImageInspect(context.Background(), args[0])
		if err == nil {
			ts.Fatalf("the Docker daemon has %s", args[0])
		}
		if !strings.Contains(err.Error(), "No such image") {
			ts.Fatalf("inspect %s: %v", args[0], err)
		}
	}
	testscript.Run(t, p)
}

// pushedElsewhere tags the stand-in image as a repository of this test run in reg, pushes
// it, and removes that name from the daemon (the stand-in's own name stays, so other tests
// are not disturbed): the returned REPO@DIGEST is absent locally until pulled.
func pushedElsewhere(t *testing.T, reg containertest.Registry, standIn string) string {
	t.Helper()
	api := containertest.Docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := api.ImageInspect(ctx, standIn); err != nil {
		rc, err := api.ImagePull(ctx, standIn, image.PullOptions{})
		if err != nil {
			t.Fatalf("pull %s: %v", standIn, err)
		}
		if err := drain(rc); err != nil {
			t.Fatalf("pull %s: %v", standIn, err)
		}
	}
	repo := fmt.Sprintf("%s/evalplan-test/slurm-nemo-%d", reg.Addr, time.Now().UnixNano())
	tag := repo + ":job"
	if err := api.ImageTag(ctx, standIn, tag); err != nil {
		t.Fatalf("tag %s: %v", tag, err)
	}
	rc, err := api.ImagePush(ctx, tag, image.PushOptions{})
	if err != nil {
		t.Fatalf("push %s: %v", tag, err)
	}
	if err := drain(rc); err != nil {
		t.Fatalf("push %s: %v", tag, err)
	}
	inspect, err := api.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	ref := ""
	for _, d := range inspect.RepoDigests {
		if strings.HasPrefix(d, repo+"@") {
			ref = d
		}
	}
	if ref == "" {
		t.Fatalf("the push of %s left no digest in %v", tag, inspect.RepoDigests)
	}
	// Untag: the image keeps its stand-in name, so only these references go.
	for _, r := range []string{tag, ref} {
		if _, err := api.ImageRemove(ctx, r, image.RemoveOptions{}); err != nil && !strings.Contains(err.Error(), "No such image") {
			t.Fatalf("untag %s: %v", r, err)
		}
	}
	if _, err := api.ImageInspect(ctx, ref); err == nil {
		t.Fatalf("%s is still present locally after untagging", ref)
	}
	t.Cleanup(func() { // what the job's node pulled
		_, _ = api.ImageRemove(context.Background(), ref, image.RemoveOptions{})
	})
	return ref
}

// drain reads a pull or push stream to its end and returns the error it reports, if any.
func drain(rc io.ReadCloser) error {
	defer rc.Close()
	dec := json.NewDecoder(rc)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
	}
}

// cmdHarnessResult asserts that the state records, for a run, the harness's own headline
// from the results.yml in its run directory (the task's entry: results.groups.TASK, else
// results.tasks.TASK; metric names "METRIC_SCORE", or "METRIC" when the two are equal), and
// N samples:
//
//	harnessresult ADDRESS TASK N
func cmdHarnessResult(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: harnessresult ADDRESS TASK N")
	}
	addr, task := args[0], args[1]
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	st, err := state.Load(ts.MkAbs("evalplan.state.json"))
	ts.Check(err)
	res := st.Resources[addr]
	if res == nil || res.Result == nil {
		ts.Fatalf("the state has no result for %s", addr)
	}
	b, err := os.ReadFile(filepath.Join(ts.MkAbs(res.RunDir), rundir.ContainerResultsFile))
	ts.Check(err)
	var doc struct {
		Results struct {
			Groups map[string]harnessEntry `yaml:"groups"`
			Tasks  map[string]harnessEntry `yaml:"tasks"`
		} `yaml:"results"`
	}
	ts.Check(yaml.Unmarshal(b, &doc))
	e, ok := doc.Results.Groups[task]
	if !ok {
		e, ok = doc.Results.Tasks[task]
	}
	if !ok {
		ts.Fatalf("%s has no entry for %s", rundir.ContainerResultsFile, task)
	}
	want := map[string]float64{}
	for metric, m := range e.Metrics {
		for score, s := range m.Scores {
			name := metric + "_" + score
			if score == metric {
				name = metric
			}
			want[name] = s.Value
		}
	}
	r := res.Result
	var got, names []string
	for name := range r.Metrics {
		got = append(got, name)
	}
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(got)
	sort.Strings(names)
	if !slices.Equal(got, names) {
		ts.Fatalf("%s: state has the metrics %v, %s has %v", addr, got, rundir.ContainerResultsFile, names)
	}
	if v, ok := want[r.Primary]; !ok || v != r.Score {
		ts.Fatalf("%s: state has score %v (%s), %s has %v", addr, r.Score, r.Primary, rundir.ContainerResultsFile, want)
	}
	if r.N != n || r.NUnknown {
		ts.Fatalf("%s: state has n = %d (unknown %v), want %d", addr, r.N, r.NUnknown, n)
	}
	ts.Logf("%s: %s = %v, n = %d, as in %s", addr, r.Primary, r.Score, r.N, rundir.ContainerResultsFile)
}

// harnessEntry is a results.yml entry: metrics.METRIC.scores.SCORE.value.
type harnessEntry struct {
	Metrics map[string]struct {
		Scores map[string]struct {
			Value float64 `yaml:"value"`
		} `yaml:"scores"`
	} `yaml:"metrics"`
}
