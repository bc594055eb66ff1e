# uv, and an offline wheelhouse of the simple_evals package set, for the runtime manager's
# uv path (providers/runtime/uv_test.go): the same package set prepared with pip and with uv,
# from the wheelhouse and without the package index, must give the same lock.
#   EVALPLAN_TEST_UV          the uv executable (from a tools venv: pip install uv==$UV_VERSION)
#   EVALPLAN_TEST_WHEELHOUSE  a --find-links folder holding a wheel of every distribution of
#                             .ci/nemo-real/requirements-simple-evals.txt and its dependencies
# Not a server. Both are made once per machine under /var/cache/evalplan (EVALPLAN_UV_CACHE
# overrides the folder): uv-<version>/ keyed by uv's version, wheelhouse-<key>/ keyed by the
# sha256 of the pins and the Python version; a warm run only checks markers.
# Logs: .ci/artifacts/uv.log. Sourced by .ci/services.sh (export_env, apt_install).
uv_setup() {
  local version=0.13.9 pins=.ci/nemo-real/requirements-simple-evals.txt
  local py="" cand key root=${EVALPLAN_UV_CACHE:-/var/cache/evalplan} log=.ci/artifacts/uv.log
  for cand in python3.11 python3.12 python3.13 python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
      py=$(command -v "$cand")
      break
    fi
  done
  if [ -z "$py" ]; then
    apt_install python3
    py=$(command -v python3)
  fi
  "$py" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  mkdir -p .ci/artifacts "$root"
  local tools=$root/uv-$version
  if [ ! -f "$tools/.evalplan-complete" ]; then
    echo "installing uv $version into $tools (log $log)"
    rm -rf "$tools"
    if ! { "$py" -m venv "$tools" &&
           "$tools/bin/python" -m pip install -q --disable-pip-version-check "uv==$version"; } >> "$log" 2>&1; then
      echo "uv could not be installed; see $log" >&2
      return 1
    fi
    touch "$tools/.evalplan-complete"
  fi
  key=$({ grep -v '^#' "$pins"; "$py" -c 'import sys; print(sys.version_info[:2])'; } | sha256sum | cut -c1-16)
  local wheels=$root/wheelhouse-$key
  if [ ! -f "$wheels/.evalplan-complete" ]; then
    echo "building the wheelhouse $wheels (a few minutes; log $log)"
    rm -rf "$wheels" "$wheels.tmp"
    if ! "$py" -m pip wheel -q --disable-pip-version-check --wheel-dir "$wheels.tmp" -r "$pins" >> "$log" 2>&1; then
      echo "the wheelhouse could not be built; see $log" >&2
      return 1
    fi
    mv "$wheels.tmp" "$wheels"
    touch "$wheels/.evalplan-complete"
  fi
  export_env EVALPLAN_TEST_UV "$tools/bin/uv"
  export_env EVALPLAN_TEST_WHEELHOUSE "$wheels"
}
uv_setup
