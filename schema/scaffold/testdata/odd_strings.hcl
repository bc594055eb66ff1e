# Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,
# `evalplan apply` runs it. The language: docs/language.md in the evalplan repository.

# An OpenAI-compatible server that is already running.
endpoint "my_model_var_x_if_true_n" {
  url   = "http://host:8000/v1"
  model = "my \"model\" $${var.x} %%{if true}\\n"
  type  = "chat"
}

# The benchmarks to run against the endpoint. Tasks of a preset or category that the
# endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.
# Container benchmarks run in their catalog image, pinned by digest (runtime "docker",
# the default); runtime = "venv" runs them from their Python packages, without Docker.
suite "main" {
  endpoints = [endpoint.my_model_var_x_if_true_n]
  preset    = "quick"
}

# One MLflow run per evalplan run, exported as each run finishes.
exporter "mlflow" "tracking" {
  tracking_uri = "http://mlflow:5000"
  experiment   = "exp $${x}"
  suites       = [suite.main]
}

output "scores" {
  value = suite.main.scores
}
