# A managed endpoint: evalplan starts a vLLM server on local GPUs (runtime "docker", or
# "process" with vllm on PATH) before the first run that needs it, waits for /health and
# /v1/models, and stops it after the last one (keep_running = true leaves it up). The plan
# shows "> start endpoint.qwen" / "< stop endpoint.qwen" around the runs, and one "→ export"
# per exporter and run. A managed endpoint is never probed: its fingerprint is the model, the
# image digest and the result-affecting server arguments (dtype, quantization, max_model_len,
# ...); tensor_parallel_size and gpu_memory_utilization never re-run anything.
# Without GPUs, `command` runs any OpenAI-compatible server instead, e.g.
#   command = ["evalplan-sim", "-addr", "127.0.0.1:{port}", "-models", "Qwen/Qwen2.5-7B-Instruct"]

evalplan {
  state       = "evalplan.state.json"
  output_dir  = "output"
  cache_dir   = ".evalplan/cache"
  parallelism = 2
}

variable "model" {
  type    = string
  default = "Qwen/Qwen2.5-7B-Instruct"
}

gpu "node" {
  devices      = [0]   # or "all"
  min_free_mib = 20000 # refuse GPUs with less free memory
}

endpoint "qwen" {
  model = var.model
  type  = "chat"

  vllm {
    gpu                    = gpu.node
    runtime                = "docker" # or "process": `vllm serve` from PATH
    image                  = "vllm/vllm-openai:v0.11.0"
    tensor_parallel_size   = 1
    gpu_memory_utilization = 0.90
    max_model_len          = 8192
    extra_args             = ["--enable-prefix-caching"]
    env                    = { VLLM_LOGGING_LEVEL = "INFO" }
    start_timeout          = "15m" # a duration, or a number of seconds
    keep_running           = false
  }
}

suite "checkpoint" {
  endpoints  = [endpoint.qwen]
  benchmarks = ["native.gsm8k"]

  params {
    limit_samples  = 200
    temperature    = 0
    max_new_tokens = 1024
    parallelism    = 64
  }
}

exporter "mlflow" "team" {
  tracking_uri = "http://127.0.0.1:5000"
  experiment   = "llm-evaluation"
  run_name     = "qwen-checkpoint"
  tags         = { team = "eval" }
  suites       = [suite.checkpoint] # selects runs: one export per run of these suites

  server {
    managed      = true # start a local MLflow server when none answers
    port         = 5000
    keep_running = true
  }
}

exporter "local" "files" {
  suites = [suite.checkpoint]
  path   = "results" # results.jsonl and results.csv across all runs
}

output "gsm8k" {
  value = suite.checkpoint.scores
}
