endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
}

suite "s" {
  endpoints  = [endpoint.a]
  benchmarks = ["simple_evals.mmlu_pr", "gsm8k", "native.gsm8k", "native.gsm8k"]
  preset     = "quik"
}
