# Export every result to MLflow and to flat files, as each run finishes.
#
# exporter "mlflow": one MLflow run per evalplan run, with the identity inputs as params,
# every metric with its stderr and 95% interval, tags (evalplan.address, evalplan.identity,
# model, suite, benchmark, ...), the run directory's files as artifacts and a samples table
# (prompt, response, target, score per sample) in the UI's evaluation view. Exports are
# idempotent: a run whose evalplan.identity tag is already in the experiment is not logged
# again. With server { managed = true }, evalplan starts a local MLflow server (the `mlflow`
# program on PATH, or EVALPLAN_MLFLOW) when none answers; its store is .evalplan/cache/mlflow.
#
# exporter "local": results.jsonl and results.csv, one row per run, in `path`.
#
# Try it against the simulator (see examples/README.md), with mlflow installed:
#   evalplan-sim -addr 127.0.0.1:8765 -dataset data/gsm8k_10.jsonl &
#   evalplan plan                      # one "+ run" and two "→ export"
#   evalplan apply -auto-approve       # runs, then exports; "Exported 2 result(s)."
#   evalplan mlflow status             # the server, its experiments and runs
#   evalplan export -force             # again: MLflow finds the run by its identity tag
#   evalplan mlflow stop
# Or export to a server you run: drop the server block and set tracking_uri (or
# MLFLOW_TRACKING_URI; MLFLOW_TRACKING_TOKEN or _USERNAME/_PASSWORD authenticate).

variable "url" {
  type    = string
  default = "http://127.0.0.1:8765/v1"
}

variable "mlflow_port" {
  type    = number
  default = 5050
}

endpoint "sim" {
  url   = var.url
  model = "sim-model"
}

dataset "gsm8k_10" {
  source = "data/gsm8k_10.jsonl" # 10 problems of the GSM8K test split (MIT, see data/)
  sha256 = "d3f5d32191656917c735edab10747ecea002bf029c9eec7342fffc822ae0a5f7"
}

suite "nightly" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k"]

  params {
    temperature    = 0
    max_new_tokens = 512
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k_10
  }
}

exporter "mlflow" "team" {
  experiment = "evalplan-example"
  run_name   = "{benchmark} · {endpoint} · {identity}" # also {suite}, {model}, {harness}, {task}
  tags       = { team = "eval" }
  suites     = [suite.nightly] # selects runs: one export per run of these suites

  server {
    managed      = true # start http://127.0.0.1:PORT when nothing answers there
    port         = var.mlflow_port
    keep_running = true # leave it running for the UI; `evalplan mlflow stop` stops it
  }
}

exporter "local" "files" {
  suites = [suite.nightly]
  # path = "results" # where results.jsonl and results.csv go; default <output_dir>/results
}

output "gsm8k" {
  value = suite.nightly.scores["native.gsm8k"]
}
