#!/usr/bin/env bash
# Validates and plans (offline, -refresh=false) every example, each in a temporary copy so
# that nothing is written into the repository. Usage: examples/check.sh [path/to/evalplan]
# (default bin/evalplan, as `make build` writes it). Exits 1 when an example fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-"$root/bin/evalplan"}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for dir in "$root"/examples/*/; do
  name=$(basename "$dir")
  [ -f "$dir/eval.hcl" ] || continue
  cp -r "$dir" "$tmp/$name"
  if ! out=$(cd "$tmp/$name" && "$bin" validate -no-color 2>&1); then
    echo "FAIL $name: validate"; echo "$out"; failed=1; continue
  fi
  rc=0
  out=$(cd "$tmp/$name" && "$bin" plan -refresh=false -detailed-exitcode -no-color 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    echo "FAIL $name: plan -refresh=false exited $rc"; echo "$out"; failed=1; continue
  fi
  echo "ok   $name"
done
exit "$failed"
