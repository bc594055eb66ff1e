# The venv runtime's real-harness test (providers/benchmark/container/nemo_venv_test.go): a
# venv with the four pins of .ci/nemo-real/requirements.txt (nemo-evaluator 0.2.8,
# nvidia-eval-commons, nvidia-simple-evals, nvidia-lm-eval) and a host-side offline Hugging
# Face datasets cache built by .ci/nemo-real/make_hfcache.py with that venv's Python.
#   EVALPLAN_TEST_NEMO_RUNTIME_VENV  the venv (bin/nemo-evaluator)
#   EVALPLAN_TEST_NEMO_HF_CACHE      the datasets cache (HF_DATASETS_CACHE)
# Not a server. Made once per machine under /var/cache/evalplan/nemo-runtime-<key>
# (EVALPLAN_NEMO_RUNTIME_CACHE overrides the folder), <key> being the sha256 of the pins,
# make_hfcache.py, the data files and the Python version: a warm run only checks markers.
# Python must be 3.10 to 3.13 (nemo-evaluator 0.2.8). Logs: .ci/artifacts/nemo-runtime.log.
# Sourced by .ci/services.sh (export_env, apt_install).
nemo_runtime_setup() {
  local recipe=.ci/nemo-real data=${EVALPLAN_BENCHMARK_DATA:-../shared/data/benchmarks}
  local py="" key dir log=.ci/artifacts/nemo-runtime.log
  if [ ! -f "$data/gsm8k_test.jsonl" ] || [ ! -d "$data/mmlu/test" ]; then
    echo "benchmark data not found in $data: check out shared/ beside the clone or set EVALPLAN_BENCHMARK_DATA" >&2
    [ "${CI:-}" = true ] && return 1
    echo "the venv runtime's real-harness test will skip"
    return 0
  fi
  py=$(venv_python)
  key=$( {
    sha256sum "$recipe/requirements.txt" "$recipe/make_hfcache.py" | cut -d' ' -f1
    (cd "$data" && find gsm8k_test.jsonl mmlu/test mmlu/dev -type f | LC_ALL=C sort | xargs sha256sum)
    "$py" -c 'import sys; print(sys.version_info[:2])'
  } | sha256sum | cut -c1-16)
  dir=${EVALPLAN_NEMO_RUNTIME_CACHE:-/var/cache/evalplan}/nemo-runtime-$key
  mkdir -p .ci/artifacts
  if [ ! -f "$dir/venv/.evalplan-complete" ]; then
    echo "creating $dir/venv with $py (a few minutes; log $log)"
    mkdir -p "$dir"
    rm -rf "$dir/venv"
    if ! { "$py" -m venv "$dir/venv" &&
           "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check -r "$recipe/requirements.txt"; } >> "$log" 2>&1; then
      echo "the NeMo runtime venv could not be made; see $log" >&2
      return 1
    fi
    touch "$dir/venv/.evalplan-complete"
  fi
  if [ ! -f "$dir/hf/.evalplan-complete" ]; then
    echo "building the offline datasets cache $dir/hf (log $log)"
    rm -rf "$dir/hf" "$dir/hf.tmp"
    if ! HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HOME="$dir/hf.tmp/home" \
         "$dir/venv/bin/python" "$recipe/make_hfcache.py" "$data" "$dir/hf.tmp" >> "$log" 2>&1; then
      echo "the offline datasets cache could not be made; see $log" >&2
      return 1
    fi
    mv "$dir/hf.tmp/hfcache" "$dir/hf" && rm -rf "$dir/hf.tmp"
    touch "$dir/hf/.evalplan-complete"
  fi
  export_env EVALPLAN_TEST_NEMO_RUNTIME_VENV "$dir/venv"
  export_env EVALPLAN_TEST_NEMO_HF_CACHE "$dir/hf"
}
nemo_runtime_setup
