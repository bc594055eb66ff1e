endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1/"
}

suite "zero" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.gsm8k"]
  params { limit_samples = 0 }
}

suite "negative" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.gsm8k"]
  params { limit_samples = -5 }
}

suite "fraction" {
  endpoints  = [endpoint.a]
  benchmarks = ["native.gsm8k"]
  params { limit_samples = 1.5 }
}
