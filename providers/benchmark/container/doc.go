// Package container is the runner for NeMo Evaluator container tasks (DESIGN §6 and
// ../shared/reference/nemo-contract.md): for one run it pins the task's image (catalog image
// through the evalplan block's image_mirror, or the benchmark block's image), pulls it once
// through providers/container, writes run_config.yml into the run directory, runs
// `nemo-evaluator run_eval --run_config /results/run_config.yml` (falling back to
// `eval-factory`) with the run directory mounted at /results, and parses results.yml into
// evalplan's result object, which it writes to results.json.
//
// Run directory (the file names are plan/rundir's): run_config.yml, container.log (the
// container's output, streamed), results.yml and whatever else the harness writes, and
// results.json, written atomically by rundir.WriteResults.
//
// The endpoint's API key reaches the container only as the environment variable
// EVALPLAN_API_KEY, named in the run config's api_key_name. Loopback endpoints are reached
// through the host network. Failures (missing image, non-zero exit, timeout, missing or
// garbled results.yml) fail that run only, with the container's last log lines.
//
// It imports plan, plan/config, plan/result, plan/rundir and providers/container.
package container
