dataset "d" {
  source = "data/qa.jsonl"
}

task "t" {
  dataset       = dataset.d
  system_prompt = record.system
  prompt        = "Q: ${record.question} ${local.nope}"
  target        = record.answer
  metric        = "choice"
}
