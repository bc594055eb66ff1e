# Evaluation in CI: the state file is committed, output/ is not (see .gitignore, ci.sh and
# workflow.yml). A fresh clone plans "No changes" from the committed state alone; only a
# change of identity (a new model, dataset or parameter) makes CI run anything.

variable "url" {
  type        = string
  default     = "http://127.0.0.1:8765/v1"
  description = "Base URL of an OpenAI-compatible server (ends in /v1); CI sets EVALPLAN_VAR_url."
}

variable "model" {
  type    = string
  default = "sim-model"
}

endpoint "candidate" {
  url   = var.url
  model = var.model
  type  = "chat"
}

dataset "gsm8k_10" {
  source = "data/gsm8k_10.jsonl" # 10 problems of the GSM8K test split (MIT, see data/)
  sha256 = "d3f5d32191656917c735edab10747ecea002bf029c9eec7342fffc822ae0a5f7"
}

suite "ci" {
  endpoints  = [endpoint.candidate]
  benchmarks = ["native.gsm8k"]

  params {
    temperature    = 0
    max_new_tokens = 256
    parallelism    = 4
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k_10
  }
}

check "gsm8k_floor" {
  condition     = suite.ci.result["native.gsm8k"]["candidate"].score >= 0.5
  error_message = "GSM8K accuracy fell below 0.5"
}
