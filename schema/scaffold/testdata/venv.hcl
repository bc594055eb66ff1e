# Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,
# `evalplan apply` runs it. The language: docs/language.md in the evalplan repository.

# An OpenAI-compatible server that is already running.
endpoint "m" {
  url   = "http://127.0.0.1:8000/v1"
  model = "m"
  type  = "chat"
}

# The benchmarks to run against the endpoint. Tasks of a preset or category that the
# endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.
# Container benchmarks run from their harness's Python packages, in an environment that
# evalplan manages, without Docker (runtime = "venv", chosen at init); `evalplan runtimes
# prepare` creates it ahead of apply.
suite "main" {
  endpoints  = [endpoint.m]
  preset     = "quick"
  benchmarks = ["simple_evals.mmlu", "lm-evaluation-harness.ifeval", "native.gsm8k"]
  runtime    = "venv"
}

output "scores" {
  value = suite.main.scores
}
