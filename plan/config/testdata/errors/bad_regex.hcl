dataset "d" {
  source = "data/qa.jsonl"
}

task "t" {
  dataset = dataset.d
  prompt  = record.question
  target  = record.answer
  extract = "answer: ([0-9]+"
}
