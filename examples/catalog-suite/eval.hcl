# Benchmarks from the built-in catalog of NeMo Evaluator container tasks: a preset, whole
# categories, minus exclusions. Browse it with `evalplan catalog list|search WORD|show NAME`;
# presets and categories are listed in docs/catalog.md.
#
# Plan it offline:  evalplan plan -refresh=false
#
# Each run is pinned to its task's container image by digest (part of the run's identity).
# apply pulls each image once from nvcr.io (set NGC_API_KEY) and runs it on Docker; see
# examples/containers and `evalplan containers` for the images this suite needs.

variable "url" {
  type    = string
  default = "http://127.0.0.1:8000/v1"
}

endpoint "candidate" {
  url          = var.url
  model        = "my-org/candidate-7b"
  type         = "chat"
  capabilities = [] # e.g. ["logprobs", "vision"] when the server supports them
}

suite "nightly" {
  endpoints = [endpoint.candidate]

  # The quick preset (5 tasks) plus every task of the safety-security category. Tasks that
  # come from a preset or category and that the endpoint cannot serve (a completions task on
  # this chat endpoint, say) are skipped, and the plan lists them with the reason. A task
  # named in benchmarks that the endpoint cannot serve is an error instead.
  preset     = "quick"
  categories = ["safety-security"]
  exclude    = ["simple_evals.humaneval", "garak.garak"]

  params {
    # Whole numbers only for container tasks (a fraction is refused at plan time). For an
    # lm-eval group task such as lm-evaluation-harness.mmlu it counts per subtask.
    limit_samples = 50
    parallelism   = 16
  }

  # A catalog task can be overridden like any benchmark of the suite, by its catalog name.
  benchmark "simple_evals.mmlu" {
    params {
      limit_samples = 500
      extra         = { n_samples = 1 } # passed to the container as config.params.extra
    }
  }
}
