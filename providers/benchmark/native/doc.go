// Package native is evalplan's own benchmark harness: a plan.Runner that reads a task's
// dataset, sends one request per selected sample through an openai.Doer, scores the answers
// with the reference rules of package scoring, and writes the run directory.
//
// A run directory holds:
//   - samples.jsonl — the journal: one JSON object (Record) per finished sample, appended
//     with a single write the moment the sample completes; fsync is batched. For each id the
//     last line wins. A request that fails is journaled with its error and never scored.
//   - results.json — the result.Result, computed by re-reading the journal, written
//     atomically (temporary file, then rename).
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
// plain text, without few-shot examples or stop strings.
//
// When no request of a run has succeeded yet and eight requests (or parallelism, if larger)
// have failed, the runner stops sending: the endpoint is down or refuses the key, and the
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
// It imports plan, plan/config, plan/result, providers/openai and
// providers/benchmark/scoring; nothing imports it but the provider registry.
package native
