endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
}

suite "q" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.gsm8k"]

  benchmark "native.gsm8" {
    image = "nvcr.io/x:latest"
  }
}

check "c" {
  condition     = suite.q.reslt["native.gsm8k"]["a"].score > 0.5
  error_message = "low"
}
