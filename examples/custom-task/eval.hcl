# A user-defined task: your own dataset, prompt, target and metric, run by evalplan's native
# harness. Its benchmark key is "task.arc_letters" (what task.arc_letters evaluates to), used
# in run addresses, in suite.X.result[...] and in a suite's benchmark "task.arc_letters" {}.
#
# Try it against the simulator, which recognises the ARC questions in the prompt:
#   evalplan-sim -addr 127.0.0.1:8765 -dataset data/arc_12.jsonl &
#   evalplan apply -auto-approve
#
# The task's identity is the canonical text of the whole block (comments and formatting do not
# count) plus the sha256 of its dataset: edit the prompt and the plan shows a re-run.

variable "url" {
  type    = string
  default = "http://127.0.0.1:8765/v1"
}

endpoint "sim" {
  url   = var.url
  model = "sim-model"
}

dataset "arc" {
  source = "data/arc_12.jsonl" # the first 12 ARC-Challenge test questions (CC BY-SA 4.0)
  sha256 = "2e96dcecaedb45dbcb71a4a3887fd3aaaacb8636b0aacd369d5d37c52819da46"
}

task "arc_letters" {
  dataset       = dataset.arc
  system_prompt = "You are a careful science tutor."

  # prompt, target and choices are evaluated once per record, with the record's fields in
  # scope as record.*. Only these three attributes may use record.
  prompt = <<-EOT
    ${record.question.stem}

    ${join("\n", [for c in record.question.choices : "${c.label}. ${c.text}"])}

    Reply with the letter of the correct answer, as "Answer: X".
  EOT
  target = record.answerKey

  extract   = "(?i)answer:\\s*\\**\\s*([A-E])" # RE2; the first group is the answer
  metric    = "exact_match"                    # exact_match | contains | regex | choice
  normalize = ["strip", "lower"]               # also strip_punctuation, collapse_space
}

suite "custom" {
  endpoints  = [endpoint.sim]
  benchmarks = [task.arc_letters]

  params {
    temperature    = 0
    max_new_tokens = 256
  }
}

check "arc_letters_floor" {
  condition     = suite.custom.result["task.arc_letters"]["sim"].score >= 0.5
  error_message = "Fewer than half of the ARC questions were answered correctly."
}
