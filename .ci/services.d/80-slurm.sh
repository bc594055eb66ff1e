# A one-node Slurm cluster (slurmctld + slurmd + munge on localhost, Debian slurm-wlm) for
# the Slurm executor's tests (providers/slurm). Sourced by .ci/services.sh. The start
# script is idempotent: a second run reuses the daemons when the configuration is unchanged.
# Jobs run as root on this machine, so the tests' shared directory is any local directory.
bash .ci/slurm/start-slurm.sh
if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  export_env EVALPLAN_TEST_SLURM 1
else
  echo "slurm node not idle; its logs are under /var/log/slurm" >&2
  return 1
fi
