# Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,
# `evalplan apply` runs it. The language: docs/language.md in the evalplan repository.

# An OpenAI-compatible server that is already running.
endpoint "qwen2_5_7b_instruct" {
  url   = "http://127.0.0.1:8000/v1"
  model = "Qwen/Qwen2.5-7B-Instruct"
  type  = "chat"
}

# The benchmarks to run against the endpoint. Tasks of a preset or category that the
# endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.
# Container benchmarks run in their catalog image, pinned by digest (runtime "docker",
# the default); runtime = "venv" runs them from their Python packages, without Docker.
suite "main" {
  endpoints = [endpoint.qwen2_5_7b_instruct]
  preset    = "quick"
}

output "scores" {
  value = suite.main.scores
}
