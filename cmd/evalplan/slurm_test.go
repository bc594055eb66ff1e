package main

import (
	"os"
	"os/exec"
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

// TestSlurmSSHScripts runs testdata/slurm-ssh/*.txtar: runs submitted to the real Slurm
// controller through the test sshd of .ci/services.d/85-sshd.sh, as to a login node. The
// scripts get the sshd's address, user, key and known_hosts as the variables ssh_host,
// ssh_port, ssh_user, ssh_key and ssh_known_hosts, and evalplan_bin, the absolute path of
// this test binary as evalplan (a command run over ssh does not see the test's PATH).
func TestSlurmSSHScripts(t *testing.T) {
	need := []string{"EVALPLAN_TEST_SLURM", "EVALPLAN_TEST_SSH_HOST", "EVALPLAN_TEST_SSH_PORT", "EVALPLAN_TEST_SSH_USER", "EVALPLAN_TEST_SSH_KEY", "EVALPLAN_TEST_SSH_KNOWN_HOSTS"}
	for _, k := range need {
		if os.Getenv(k) == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set: run .ci/services.sh (80-slurm.sh and 85-sshd.sh)", k)
			}
			t.Skipf("%s is not set: run .ci/services.sh for the Slurm cluster and the test sshd", k)
		}
	}
	bin, err := exec.LookPath("evalplan") // testscript.Main put this test binary there
	if err != nil {
		t.Fatal(err)
	}
	p := scriptParams(t, "testdata/slurm-ssh")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		for _, v := range []struct{ name, env string }{
			{"ssh_host", "HOST"}, {"ssh_port", "PORT"}, {"ssh_user", "USER"}, {"ssh_key", "KEY"}, {"ssh_known_hosts", "KNOWN_HOSTS"},
		} {
			env.Setenv("EVALPLAN_VAR_"+v.name, os.Getenv("EVALPLAN_TEST_SSH_"+v.env))
		}
		env.Setenv("EVALPLAN_VAR_evalplan_bin", bin)
		return nil
	}
	testscript.Run(t, p)
}
