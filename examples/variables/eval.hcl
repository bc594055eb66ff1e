# Variables, locals and functions.
#
# Every value below can be set without editing this file. From lowest to highest precedence:
#   the default                 variable "limit" { default = 5 }
#   the environment             EVALPLAN_VAR_limit=8 evalplan plan
#   *.auto.evalvars.hcl files   loaded automatically, in name order (none here)
#   -var and -var-file          evalplan plan -var limit=10 -var-file=full.evalvars.hcl
#                               (in command-line order: the last one wins)
#
# Try against the simulator (see examples/README.md):
#   EVALPLAN_VAR_url=$(cat /tmp/sim.url) evalplan apply -auto-approve
#   evalplan plan -var temperature=0.7        # ~ re-run: params.temperature: 0 → 0.7
#   evalplan plan -var-file=full.evalvars.hcl # all 10 records: limit_samples 5 → 10

variable "url" {
  type        = string
  default     = "http://127.0.0.1:8765/v1"
  description = "Base URL of an OpenAI-compatible server; it must end in /v1."
}

variable "models" {
  type        = list(string)
  default     = ["sim-model"]
  description = "Models to evaluate. A -var value for a list is an HCL expression: -var 'models=[\"a\",\"b\"]'."
}

variable "limit" {
  type    = number
  default = 5

  validation {
    condition     = var.limit >= 1 && var.limit == floor(var.limit)
    error_message = "limit must be a whole number of samples, 1 or more."
  }
}

variable "temperature" {
  type    = number
  default = 0
}

# A sensitive variable is stored in saved plans by name only, and apply PLANFILE asks for it
# again (-var or EVALPLAN_VAR_team_token). Its value never appears in plan output.
variable "team_token" {
  type      = string
  default   = ""
  sensitive = true
}

locals {
  # Functions: go-cty's standard library plus env(), file() and sha256().
  first_model = var.models[0]
  benchmarks  = ["native.gsm8k"]
  max_tokens  = var.temperature > 0 ? 768 : 512
  run_label   = format("%s-t%g", lower(replace(local.first_model, "/", "-")), var.temperature)
}

endpoint "primary" {
  url   = var.url
  model = local.first_model

  # api_key and headers are sensitive by schema: they never enter state, plans or logs, and a
  # run's identity never includes them. env() reads the environment of the evalplan process;
  # an unset variable gives "" and no Authorization header is sent.
  api_key = env("SIM_API_KEY")
  headers = { "X-Team-Token" = var.team_token }
}

dataset "gsm8k_10" {
  source = "data/gsm8k_10.jsonl" # 10 problems of the GSM8K test split (MIT, see data/)
  sha256 = "d3f5d32191656917c735edab10747ecea002bf029c9eec7342fffc822ae0a5f7"
}

suite "vars" {
  endpoints  = [endpoint.primary]
  benchmarks = local.benchmarks

  params {
    limit_samples  = var.limit
    temperature    = var.temperature
    max_new_tokens = local.max_tokens
    sample         = "first"
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k_10
  }
}

output "label" {
  value = local.run_label
}

output "gsm8k" {
  value = suite.vars.scores["native.gsm8k"]
}

# Stored in state as {"sensitive": true}, without its value.
output "token_fingerprint" {
  value     = sha256(var.team_token)
  sensitive = true
}
