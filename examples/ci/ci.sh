#!/usr/bin/env bash
# The CI steps of examples/ci/workflow.yml, runnable anywhere from the configuration's
# directory (a git work tree whose evalplan.state.json is committed and output/ is not):
#
#   validate → plan -detailed-exitcode → apply the saved plan → check → commit the state
#
# Exit status: 0 when nothing changed or everything applied and every check passed; the
# evalplan exit status of the first step that failed otherwise (checks: 4). The state is
# committed even when a check fails, so that the recorded results are never lost.
# EVALPLAN names the binary (default: evalplan on PATH). Pushing is the workflow's job.
set -euo pipefail
evalplan=${EVALPLAN:-evalplan}

echo "==> validate"
"$evalplan" validate -no-color

echo "==> plan"
rc=0
"$evalplan" plan -detailed-exitcode -no-color -out=ci.plan || rc=$?
case "$rc" in
0) echo "==> up to date: nothing to apply"; rm -f ci.plan; exit 0 ;;
2) ;;
*) exit "$rc" ;;
esac

echo "==> apply"
apply=0
"$evalplan" apply -no-color ci.plan || apply=$?
rm -f ci.plan

echo "==> check"
check=0
"$evalplan" check -no-color || check=$?

echo "==> commit the state"
git add evalplan.state.json
if git diff --cached --quiet -- evalplan.state.json; then
  echo "state unchanged"
else
  git commit -q -m "evalplan: record evaluation results" -- evalplan.state.json
fi

if [ "$apply" -ne 0 ]; then exit "$apply"; fi
exit "$check"
