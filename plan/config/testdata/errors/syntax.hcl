endpoint "a" {
  model = "m"
  url   = "http://127.0.0.1:8000/v1"
  type  = 
}
