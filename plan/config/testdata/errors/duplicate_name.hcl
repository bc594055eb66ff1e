endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
}

endpoint "a" {
  model = "n"
  url   = "http://127.0.0.1:8001/v1"
}
