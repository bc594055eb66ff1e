endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
}

suite "s" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.gsm8"]

  benchmark "native.gsm8" {
    params {
      temperature = 0
    }
  }
}
