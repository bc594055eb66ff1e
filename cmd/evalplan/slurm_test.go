package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestSlurmScripts runs testdata/slurm/*.txtar against the real Slurm controller that
// .ci/services.d/80-slurm.sh starts (EVALPLAN_TEST_SLURM=1): the jobs run this test binary
// as evalplan on the node, against the in-process simulator on 127.0.0.1.
func TestSlurmScripts(t *testing.T) {
	if os.Getenv("EVALPLAN_TEST_SLURM") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EVALPLAN_TEST_SLURM is not set: run .ci/services.sh first")
		}
		t.Skip("no Slurm cluster: run .ci/services.sh (it exports EVALPLAN_TEST_SLURM=1)")
	}
	testscript.Run(t, scriptParams(t, "testdata/slurm"))
}

// TestSlurmArray runs testdata/slurm-array/*.txtar (200 runs as one job array, about 5
// minutes on the 2-CPU test cluster) after TestSlurmScripts, not beside it: its tasks would
// hold the cluster's CPUs while the time-limit scripts wait for theirs.
func TestSlurmArray(t *testing.T) {
	if os.Getenv("EVALPLAN_TEST_SLURM") == "" {
		t.Skip("no Slurm cluster: run .ci/services.sh (it exports EVALPLAN_TEST_SLURM=1)")
	}
	testscript.Run(t, scriptParams(t, "testdata/slurm-array"))
}
