# Written by `evalplan init`. Next: `evalplan plan` shows what would run and why,
# `evalplan apply` runs it. The language: docs/language.md in the evalplan repository.

# The GPUs of this machine that a managed vLLM server may use.
gpu "local" {
  devices = "all"
}

# A vLLM server that evalplan starts for the runs that need it and stops after them.
endpoint "llama_3_1_8b_instruct" {
  model = "meta-llama/Llama-3.1-8B-Instruct"
  type  = "chat"

  vllm {
    gpu                    = gpu.local
    runtime                = "process"
    tensor_parallel_size   = 2
    gpu_memory_utilization = 0.85
    max_model_len          = 8192
  }
}

# The benchmarks to run against the endpoint. Tasks of a preset or category that the
# endpoint cannot serve are skipped, and plan says why. Browse: `evalplan catalog`.
# Container benchmarks run in their catalog image, pinned by digest (runtime "docker",
# the default); runtime = "venv" runs them from their Python packages, without Docker.
suite "main" {
  endpoints  = [endpoint.llama_3_1_8b_instruct]
  preset     = "math"
  benchmarks = ["simple_evals.mmlu_pro"]

  params {
    limit_samples = 200
    temperature   = 0
  }
}

# One MLflow run per evalplan run, exported as each run finishes.
exporter "mlflow" "tracking" {
  tracking_uri = "http://127.0.0.1:5000"
  experiment   = "llm-evaluation"
  suites       = [suite.main]

  server {
    managed = true
  }
}

output "scores" {
  value = suite.main.scores
}
