// Package native is evalplan's own benchmark harness: a plan.Runner that reads a task's
// dataset, sends one request per selected sample through an openai.Doer, scores the answers
// with the reference rules of package scoring, and writes the run directory.
//
// Tasks (record formats in DESIGN §7; every format providers/dataset reads works — JSON
// Lines, JSON, CSV, directories and globs — and the run's dataset block gives format,
// header and columns):
//   - native.gsm8k: {question, answer}; metrics flexible_extract (primary), strict_match.
//   - native.mmlu: MMLU's header-less CSV (read with columns question, A, B, C, D, answer
//     unless the dataset block names columns or a header), or records with question,
//     choices or A..D, answer (letter or 0-based index) and subject. Subject = the record's
//     subject, else the file name without _test/_dev. Metric accuracy; subscores by
//     subject and by category (scoring.MMLUCategory).
//   - native.arc_challenge: ARC's {id, question: {stem, choices}, answerKey}; 2–26 choices
//     shown as letters A.. in order whatever their labels. Metric accuracy.
//   - native.math500: {problem, answer, unique_id, subject, level}; metric accuracy by
//     scoring.MathEqual, or, with a judge endpoint (RunSpec.Judge), by the judge's Yes/No to
//     scoring.JudgePrompt(target, extracted). A response without an "Answer:" line scores 0
//     without asking the judge; a judge answer that is neither Yes nor No, or a failed judge
//     request, makes the sample an error (resumable), never a 0. Subscores by subject and
//     level.
//   - task blocks (RunSpec.UserTask): prompt, target and choices evaluated per record with
//     the record as "record" (JSON numbers are numbers) and plan/config's functions (env()
//     is always "", file() reads relative to the working directory); system_prompt as a
//     system message; few_shot examples = the first N records of few_shot_dataset
//     (RunSpec.FewShot), each a user message (its prompt) and an assistant message (its
//     target), before the question; extract (first group; no match scores 0 with extracted
//     null); normalize applied to prediction, target and choices (not to a regex target);
//     metric exact_match, contains, regex or choice. The extracted value journaled is the
//     normalized prediction.
//
// Sample ids: the record's own id field where the format has one (ARC id, MATH-500
// unique_id), else "<_file>/<row>" for a record of a directory or glob source (row within
// its file), else the 0-based row number. Task blocks always use the row-based id. Two
// selected samples with one id fail the run.
//
// A run directory (its names, formats, readers and writers are plan/rundir's) holds:
//   - samples.jsonl — the journal: one JSON object (rundir.Record) per finished sample,
//     appended with a single write the moment the sample completes; fsync is batched. For
//     each id the last line wins. A request that fails is journaled with its error and never scored.
//   - results.json — the result.Result of each selected id's last journal line (read
//     from the journal when the run starts, then kept in memory as each sample is
//     journaled, so the journal is never read twice), written atomically (temporary
//     file, then rename).
//   - run_config.json — what the run was: benchmark, endpoint (never its key or headers),
//     parameters, identity, dataset digest and the sample selection.
//
// A run always reads an existing journal first and requests only the selected samples whose
// last line is missing or an error, so an interrupted or partial run resumes where it
// stopped, and a resumed run writes the same results.json as an uninterrupted one.
//
// Sample selection: limit_samples N (or a fraction f of the rows, math.Round(f·rows), at
// least 1); sample = "first" takes the first N rows, "random" (the default) the N rows with
// the smallest sha256(seed "\x00" id), so the choice depends only on the seed and the ids.
// Selected samples are always requested and scored in file order.
//
// Native tasks target chat endpoints; on a completions endpoint the same prompt is sent as
// plain text, without stop strings: a one-message prompt as it is; otherwise the system
// message and each few-shot pair (question, a space, answer) each followed by a blank line,
// then the question.
//
// Each journal line may carry "judge" (the judge's raw answer) and "groups" (the sample's
// subscore groups, such as {"subject": "anatomy", "category": "other"}); results.json's
// subscores are the primary metric per group, computed from the journal like the metrics.
//
// Without a configured parallelism, a run has 1,024 workers and the endpoint's limiter
// discovers how many of them the server serves at once (openai.LimitOptions.Discover).
//
// When no request of a run has succeeded yet and eight requests (or parallelism, if larger)
// have failed, the runner stops sending (requests still waiting for a limiter slot are
// abandoned, see openai.WithStop): the endpoint is down or refuses the key, and the
// run ends failed with the first error instead of burning through every sample. A run ends
// failed whenever no selected sample is answered and some failed; it ends partial when some
// failed and some were answered, and after cancellation.
//
// Run's error is non-nil only for cancellation (ctx.Err(), with a partial Outcome) and for
// a spec this runner cannot run (with a failed Outcome); see Runner.
//
// Progress reports Total = the selected samples, then one Add for the samples the journal
// already answered, then one Add per finished sample with its completion tokens.
//
// It imports plan, plan/config, plan/result, plan/rundir, providers/openai, providers/dataset
// (Read) and providers/benchmark/scoring; only the CLI (which builds the runners) imports it.
package native
