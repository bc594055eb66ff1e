endpont "a" {
  model = "m"
}
