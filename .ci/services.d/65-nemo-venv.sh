# A Python venv with NVIDIA's packaged scorers (nvidia-simple-evals 26.3, nvidia-lm-eval 26.3)
# for TestConformanceWithNeMo (providers/benchmark/native/conformance_test.go), which checks
# that native.mmlu and native.gsm8k score every response exactly as NeMo's tasks do.
#   EVALPLAN_TEST_NEMO_VENV   the venv (its bin/python runs testdata/conformance/score.py)
# Not a server. The venv is made once per machine from PyPI, under
# /var/cache/evalplan/nemo-venv-<key> (EVALPLAN_NEMO_VENV_CACHE overrides the folder), where
# <key> is the sha256 of requirements.txt, constraints.txt and the Python version: a warm run
# only checks the marker file. A change of the pins makes a new venv; old ones are left alone.
# Python must be 3.10 to 3.13 (the pins were frozen with 3.11). Logs: .ci/artifacts/nemo-venv.log.
# Sourced by .ci/services.sh (export_env, apt_install).
nemo_venv_setup() {
  local pins=providers/benchmark/native/testdata/conformance
  local py="" key dir log=.ci/artifacts/nemo-venv.log
  py=$(venv_python)
  key=$({ cat "$pins/requirements.txt" "$pins/constraints.txt"; "$py" -c 'import sys; print(sys.version_info[:2])'; } |
    sha256sum | cut -c1-16)
  dir=${EVALPLAN_NEMO_VENV_CACHE:-/var/cache/evalplan}/nemo-venv-$key
  if [ ! -f "$dir/.evalplan-complete" ]; then
    echo "creating $dir with $py (a few minutes; log $log)"
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir"
    if ! { "$py" -m venv "$dir" &&
           "$dir/bin/python" -m pip install -q --disable-pip-version-check \
             -r "$pins/requirements.txt" -c "$pins/constraints.txt"; } >> "$log" 2>&1; then
      echo "the NeMo venv could not be made; see $log" >&2
      return 1
    fi
    touch "$dir/.evalplan-complete"
  fi
  export_env EVALPLAN_TEST_NEMO_VENV "$dir"
}
nemo_venv_setup
