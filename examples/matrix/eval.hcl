# The matrix: every benchmark of a suite runs against every endpoint of it. Two endpoints ×
# two native tasks = four runs, each with its own address, identity, run directory and result:
#   suite.models.run["native.gsm8k"]["small"]          suite.models.run["native.gsm8k"]["large"]
#   suite.models.run["native.arc_challenge"]["small"]  suite.models.run["native.arc_challenge"]["large"]
#
# Try it against one simulator serving both models (see examples/README.md):
#   evalplan-sim -addr 127.0.0.1:8765 -models small,large -accuracy small=0.6 \
#     -accuracy large=0.9 -dataset data/gsm8k_20.jsonl -dataset data/arc_12.jsonl &
#   evalplan apply -auto-approve
#   evalplan compare small large      # paired differences on the samples both answered
#   evalplan apply -auto-approve -replace='suite.models.run[native.gsm8k]'   # GSM8K only, again

variable "url" {
  type    = string
  default = "http://127.0.0.1:8765/v1"
}

endpoint "small" {
  url   = var.url
  model = "small"
}

endpoint "large" {
  url      = var.url
  model    = "large"
  revision = "2025-01-15" # optional: part of the fingerprint, so changing it re-runs
}

dataset "gsm8k_20" {
  source = "data/gsm8k_20.jsonl" # the first 20 problems of the GSM8K test split (MIT)
  sha256 = "d75d841cced14054e1df7fabcd227bea727ccc7f7bd64ec764915a478e4dbc3f"
}

dataset "arc_12" {
  source = "data/arc_12.jsonl" # the first 12 ARC-Challenge test questions (CC BY-SA 4.0)
  sha256 = "2e96dcecaedb45dbcb71a4a3887fd3aaaacb8636b0aacd369d5d37c52819da46"
}

suite "models" {
  endpoints  = [endpoint.small, endpoint.large]
  benchmarks = ["native.gsm8k", "native.arc_challenge"]

  # Defaults for every benchmark of the suite. Merge order: catalog defaults < suite params <
  # benchmark params. Identity params (temperature, max_new_tokens, limit_samples, seed,
  # sample, top_p, extra) re-run what they touch; operational ones (parallelism,
  # request_timeout, max_retries, timeout, cache) never do.
  params {
    temperature     = 0
    max_new_tokens  = 1024
    seed            = 1
    parallelism     = 8
    request_timeout = 60
    max_retries     = 2
  }

  benchmark "native.gsm8k" {
    dataset = dataset.gsm8k_20 # a native task's dataset override: same record format
    params {
      limit_samples = 20
      sample        = "first"
    }
  }

  benchmark "native.arc_challenge" {
    dataset = dataset.arc_12
    params {
      max_new_tokens = 256
    }
  }
}

# Checks run after apply and with `evalplan check`; a failed one makes the exit code 4. At plan
# time a check whose runs are recorded is evaluated (a failure is a warning); one that reads
# runs this plan changes is deferred until apply.
check "large_beats_small" {
  condition     = suite.models.scores["native.gsm8k"]["large"] >= suite.models.scores["native.gsm8k"]["small"]
  error_message = "The large model scored below the small one on GSM8K."
}

check "gsm8k_floor" {
  condition     = min(values(suite.models.scores["native.gsm8k"])...) >= 0.4
  error_message = "An endpoint scored below 0.4 on GSM8K."
}

# compare[B][E_new][E_base] is the paired comparison of two endpoints on the samples both
# answered: diff (mean of new − base), stderr, ci95, n, significant (the 95% interval excludes 0).
check "small_not_significantly_better" {
  condition     = !(suite.models.compare["native.gsm8k"]["small"]["large"].significant && suite.models.compare["native.gsm8k"]["small"]["large"].diff > 0)
  error_message = "The small model is significantly better than the large one on GSM8K: check the endpoints."
}

check "gsm8k_error_bar" {
  condition     = suite.models.result["native.gsm8k"]["large"].metrics.flexible_extract.stderr < 0.15
  error_message = "GSM8K's standard error on the large model is 0.15 or more: raise limit_samples."
}

# scores maps benchmark → endpoint → primary score, over the runs that completed.
output "scores" {
  value = suite.models.scores
}

# result[B][E] is the whole result object: score, primary, n, errors, metrics with stderr and
# ci95, subscores.
output "gsm8k_ci95" {
  value = { for name, r in suite.models.result["native.gsm8k"] : name => r.metrics.flexible_extract.ci95 }
}
