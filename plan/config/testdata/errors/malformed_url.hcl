endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000"
}

endpoint "b" {
  model = "m"
  url   = "ftp://example.com/v1"
}

endpoint "c" {
  model = "m"
}
