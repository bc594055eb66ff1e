endpoint "a" {
  url = "http://127.0.0.1:8000/v1"
}
