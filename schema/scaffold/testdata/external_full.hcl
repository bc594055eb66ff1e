# Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,
# `evalplan apply` runs it. The language: docs/language.md in the evalplan repository.

# An OpenAI-compatible server that is already running.
endpoint "ref" {
  url     = "https://api.example.com/v1"
  model   = "gpt-4o-mini"
  type    = "completions"
  api_key = env("OPENAI_API_KEY")
}

# The benchmarks to run against the endpoint. Tasks of a preset or category that the
# endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.
# Container benchmarks run in their catalog image, pinned by digest (runtime "docker",
# the default); runtime = "venv" runs them from their Python packages, without Docker.
suite "main" {
  endpoints  = [endpoint.ref]
  categories = ["math", "code-generation"]
  benchmarks = ["bigcode-evaluation-harness.humaneval", "native.gsm8k"]

  params {
    limit_samples = 0.25
    temperature   = 0.7
    parallelism   = 32
  }
}

# One MLflow run per evalplan run, exported as each run finishes.
exporter "mlflow" "tracking" {
  tracking_uri = "https://mlflow.example.com"
  experiment   = "nightly"
  suites       = [suite.main]
}

# results.jsonl and results.csv, one row per run, under the output directory.
exporter "local" "files" {
  suites = [suite.main]
}

# Checked after apply and by `evalplan check`: apply exits 4 when it fails.
check "score_floor" {
  condition     = length([for s in flatten([for b in values(suite.main.scores) : values(b)]) : s if s < 0.5]) == 0
  error_message = "A benchmark scored below 0.5: see `evalplan output scores`."
}

output "scores" {
  value = suite.main.scores
}
