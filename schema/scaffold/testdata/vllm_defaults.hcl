# Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,
# `evalplan apply` runs it. The language: docs/language.md in the evalplan repository.

# The GPUs of this machine that a managed vLLM server may use.
gpu "local" {
  devices = "all"
}

# A vLLM server that evalplan starts for the runs that need it and stops after them.
endpoint "qwen2_5_0_5b" {
  model = "Qwen/Qwen2.5-0.5B"
  type  = "chat"

  vllm {
    gpu                  = gpu.local
    runtime              = "docker"
    tensor_parallel_size = 1
  }
}

# The benchmarks to run against the endpoint. Tasks of a preset or category that the
# endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.
# Container benchmarks run in their catalog image, pinned by digest (runtime "docker",
# the default); runtime = "venv" runs them from their Python packages, without Docker.
suite "main" {
  endpoints  = [endpoint.qwen2_5_0_5b]
  categories = ["safety-security"]
}

output "scores" {
  value = suite.main.scores
}
