variable "model" {
  type = string
}

endpoint "a" {
  model = var.model
  url   = "http://127.0.0.1:8000/v1"
}
