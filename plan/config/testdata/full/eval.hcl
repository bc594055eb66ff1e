evalplan {
  state       = "evalplan.state.json"   # default
  output_dir  = "output"                # per-run artifacts
  cache_dir   = ".evalplan/cache"       # datasets, responses
  parallelism = 4                       # graph nodes at once
}

variable "model" {
  type    = string
  default = "Qwen/Qwen2.5-7B-Instruct"
}

gpu "node" {
  devices      = "all"                  # or [0, 1]
  min_free_mib = 20000
}

endpoint "qwen" {                       # managed: evalplan starts and stops it
  model = var.model
  type  = "chat"                        # chat | completions
  vllm {
    gpu                    = gpu.node
    runtime                = "docker"   # or "process" (vllm on PATH)
    image                  = "vllm/vllm-openai:v0.11.0"
    tensor_parallel_size   = 1
    gpu_memory_utilization = 0.90
    max_model_len          = 8192
    extra_args             = ["--enable-prefix-caching"]
  }
}

endpoint "ref" {                        # external: evalplan only talks to it
  url          = "https://api.example.com/v1"
  model        = "gpt-4o-mini"
  type         = "chat"
  api_key      = env("OPENAI_API_KEY")  # sensitive by schema: never in state, plans, logs
  revision     = "2024-07-18"           # optional: part of the fingerprint
  capabilities = []                     # e.g. ["logprobs"] when the server returns them
}

dataset "mine" {
  source = "data/qa.jsonl"              # relative path, http(s)://, file://, hf://org/name/path@rev
}

dataset "gsm8k_mirror" {
  source = "file:///data/gsm8k/test.jsonl"
  sha256 = "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"
}

task "my_qa" {                          # a user-defined native task
  dataset       = dataset.mine
  system_prompt = "Answer with one word."
  prompt        = "Question: ${record.question}"
  target        = record.answer
  metric        = "exact_match"         # exact_match | contains | regex | choice
}

suite "quick" {
  endpoints  = [endpoint.qwen, endpoint.ref]     # the matrix: every benchmark x endpoint
  preset     = "quick"                           # from the catalog, optional
  benchmarks = ["simple_evals.mmlu_pro", "native.gsm8k", task.my_qa]

  params {                              # defaults for every benchmark in the suite
    limit_samples   = 200
    temperature     = 0
    max_new_tokens  = 2048
    parallelism     = 64                # operational: changing it never forces a re-run
    request_timeout = 300
  }
  benchmark "native.gsm8k" {            # per-benchmark override
    params { limit_samples = 500 }
    dataset = dataset.gsm8k_mirror      # native tasks: another source, same record format
  }
}

exporter "mlflow" "team" {
  tracking_uri = "http://127.0.0.1:5000"
  experiment   = "llm-evaluation"
  suites       = [suite.quick]
  server { managed = true }             # start a local MLflow server if none answers
}

exporter "local" "files" {
  suites = [suite.quick]                # flat results.jsonl / results.csv across runs
}

check "gsm8k_floor" {
  condition     = suite.quick.result["native.gsm8k"]["qwen"].score >= 0.80
  error_message = "GSM8K fell below 0.80"
}

output "scores" { value = suite.quick.scores }
