# The quick start: GSM8K on 60 real test problems against the simulated endpoint that
# `make demo` starts (cmd/evalplan-sim). Point `url` at any OpenAI-compatible server to
# evaluate a real model: evalplan plan -var url=http://host:8000/v1 -var model=NAME

variable "url" {
  type        = string
  default     = "http://127.0.0.1:8765/v1"
  description = "Base URL of an OpenAI-compatible server (ends in /v1)."
}

variable "model" {
  type    = string
  default = "sim-model"
}

endpoint "sim" {
  url   = var.url
  model = var.model
  type  = "chat"
}

dataset "gsm8k_sample" {
  source = "data/gsm8k_sample.jsonl" # 60 problems from the GSM8K test split (MIT)
  sha256 = "4a665a79d70d7d83f14400fdb75f421e201ce1ae8ec94fa87157e5a3feae75aa"
}

suite "quick" {
  endpoints  = [endpoint.sim]
  benchmarks = ["native.gsm8k"]

  params {
    temperature    = 0
    max_new_tokens = 512
    parallelism    = 8 # operational: changing it never re-runs anything
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k_sample
  }
}

check "gsm8k_floor" {
  condition     = suite.quick.result["native.gsm8k"]["sim"].score >= 0.5
  error_message = "GSM8K accuracy fell below 0.5"
}

output "gsm8k" {
  value = suite.quick.scores["native.gsm8k"]
}
