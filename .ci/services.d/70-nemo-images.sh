# NeMo Evaluator stand-in images for the container runner's real-harness tests
# (providers/benchmark/container/nemo_real_test.go), sourced by .ci/services.sh after
# 20-docker.sh and 30-registry.sh (export_env, EVALPLAN_TEST_DOCKER_HOST, EVALPLAN_TEST_REGISTRY).
#
# .ci/nemo-real/build.sh builds them from NVIDIA's real pip packages and the benchmark data
# in ../shared/data/benchmarks (or EVALPLAN_BENCHMARK_DATA): about 8 minutes and 1.5 GB the
# first time on a machine. The result is kept OUTSIDE the clone, in
# ${EVALPLAN_NEMO_CACHE:-/var/cache/evalplan/nemo-images}/<key>/images.tar, where <key> hashes
# every file of .ci/nemo-real (the recipe and its pins) and the data files used; a later run
# with the same inputs only loads it (when dockerd lacks the images) and pushes it (when the
# registry lacks it). Exports, as registry/repo@sha256:digest:
#   EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE  simple-evals (nvidia-simple-evals 26.3)
#   EVALPLAN_TEST_NEMO_LM_EVAL_IMAGE       lm-evaluation-harness (nvidia-lm-eval 26.3)
# EVALPLAN_SKIP_NEMO_IMAGES=1 skips this step (the tests then skip) — except with CI=true,
# where the images are always built.
if [ "${EVALPLAN_SKIP_NEMO_IMAGES:-}" = 1 ] && [ "${CI:-}" != true ]; then
  echo "skipping the NeMo images (EVALPLAN_SKIP_NEMO_IMAGES=1): their tests will skip"
  return 0
fi
[ "${EVALPLAN_SKIP_NEMO_IMAGES:-}" = 1 ] && echo "EVALPLAN_SKIP_NEMO_IMAGES=1 is ignored with CI=true"

nemo_recipe=.ci/nemo-real
nemo_data=${EVALPLAN_BENCHMARK_DATA:-../shared/data/benchmarks}
if [ ! -f "$nemo_data/gsm8k_test.jsonl" ] || [ ! -d "$nemo_data/mmlu/test" ]; then
  echo "benchmark data not found in $nemo_data (want gsm8k_test.jsonl, mmlu/test, mmlu/dev):" >&2
  echo "check out shared/ beside the clone or set EVALPLAN_BENCHMARK_DATA" >&2
  # Off CI the real-harness tests then skip; CI always has shared/ and must run them.
  if [ "${CI:-}" != true ]; then echo "skipping the NeMo images: their tests will skip"; return 0; fi
  return 1
fi
# The key: the recipe's files and the data files, by relative path and content.
nemo_key=$( {
  (cd "$nemo_recipe" && find . -type f | LC_ALL=C sort | xargs sha256sum)
  (cd "$nemo_data" && find gsm8k_test.jsonl mmlu/test mmlu/dev -type f | LC_ALL=C sort | xargs sha256sum)
} | sha256sum | cut -c1-16)
nemo_cache=${EVALPLAN_NEMO_CACHE:-/var/cache/evalplan/nemo-images}
nemo_dir=$nemo_cache/$nemo_key
nemo_docker() { docker -H "$EVALPLAN_TEST_DOCKER_HOST" "$@"; }
nemo_names=(simple-evals lm-evaluation-harness)
nemo_have_images() {
  local n
  for n in "${nemo_names[@]}"; do nemo_docker image inspect "evalplan-nemo/$n:$nemo_key" >/dev/null 2>&1 || return 1; done
}
echo "NeMo images: key $nemo_key (cache $nemo_dir)"
mkdir -p "$nemo_cache"
# One builder per machine: other checkouts may run this at the same time.
exec 8>"$nemo_cache/lock"
flock 8

if ! nemo_have_images && [ -f "$nemo_dir/images.tar" ]; then
  echo "loading $nemo_dir/images.tar into dockerd"
  nemo_docker load -q -i "$nemo_dir/images.tar"
fi
if ! nemo_have_images; then
  nemo_work=$nemo_cache/build-$nemo_key
  nemo_log=.ci/artifacts/nemo-images-build.log
  echo "building the NeMo images (about 8 minutes the first time; log: $nemo_log)"
  nemo_started=$SECONDS
  if ! DOCKER_HOST=$EVALPLAN_TEST_DOCKER_HOST "$nemo_recipe/build.sh" "$nemo_work" "$nemo_data" "$nemo_key" 2>&1 |
    tee "$nemo_log" | grep --line-buffered '^nemo-images:'; then
    echo "building the NeMo images failed; the last lines of $nemo_log:" >&2
    tail -n 40 "$nemo_log" >&2
    return 1
  fi
  mkdir -p "$nemo_dir"
  mv "$nemo_work/images.tar" "$nemo_dir/images.tar"
  # Keep nothing else: the rootfs is 1.5 GB (build.sh unmounted /dev and /proc on exit).
  if grep -q " $nemo_work/" /proc/mounts; then
    echo "warning: something is still mounted under $nemo_work; left in place" >&2
  else
    rm -rf "$nemo_work"
  fi
  echo "built the NeMo images in $((SECONDS - nemo_started)) s"
  # Other keys' leftovers: unfinished builds go; of the finished ones the 2 newest stay.
  for nemo_old in "$nemo_cache"/build-*; do
    if [ -d "$nemo_old" ] && ! grep -q " $nemo_old/" /proc/mounts; then rm -rf "$nemo_old"; fi
  done
  ls -1dt "$nemo_cache"/*/images.tar 2>/dev/null | tail -n +3 | while read -r nemo_old; do
    echo "removing the stale cache $(dirname "$nemo_old")"; rm -rf "$(dirname "$nemo_old")"
  done
fi
# The newest-used entries survive the pruning above.
if [ -f "$nemo_dir/images.tar" ]; then touch "$nemo_dir/images.tar"; fi

# nemo_digest NAME prints the registry's digest of eval-factory/NAME:<key>, or nothing.
nemo_digest() {
  curl -sfI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$EVALPLAN_TEST_REGISTRY/v2/eval-factory/$1/manifests/$nemo_key" |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }'
}
for n in "${nemo_names[@]}"; do
  if [ -z "$(nemo_digest "$n")" ]; then
    echo "pushing eval-factory/$n:$nemo_key to $EVALPLAN_TEST_REGISTRY"
    nemo_docker tag "evalplan-nemo/$n:$nemo_key" "$EVALPLAN_TEST_REGISTRY/eval-factory/$n:$nemo_key"
    nemo_docker push -q "$EVALPLAN_TEST_REGISTRY/eval-factory/$n:$nemo_key" >/dev/null
  fi
  nemo_d=$(nemo_digest "$n")
  [ -n "$nemo_d" ] || { echo "eval-factory/$n:$nemo_key has no digest in $EVALPLAN_TEST_REGISTRY after the push" >&2; return 1; }
  case $n in
    simple-evals) export_env EVALPLAN_TEST_NEMO_SIMPLE_EVALS_IMAGE "$EVALPLAN_TEST_REGISTRY/eval-factory/$n@$nemo_d" ;;
    lm-evaluation-harness) export_env EVALPLAN_TEST_NEMO_LM_EVAL_IMAGE "$EVALPLAN_TEST_REGISTRY/eval-factory/$n@$nemo_d" ;;
  esac
done
exec 8>&-
