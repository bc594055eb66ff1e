variable "model" {
  default = "m"
}

endpoint "ref" {
  model = var.modle
  url   = "http://127.0.0.1:8000/v1"
}

suite "s" {
  endpoints  = [endpoint.rf]
  benchmarks = ["native.gsm8k", task.nope]
}

check "c" {
  condition     = suite.q.scores != null
  error_message = "x"
}
