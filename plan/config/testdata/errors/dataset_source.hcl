dataset "ftp" {
  source = "ftp://x/y"
}

dataset "no_host" {
  source = "https:///tmp/x"
}

dataset "hf_short" {
  source = "hf://org/name"
}

dataset "file_relative" {
  source = "file://data/x.jsonl"
}
