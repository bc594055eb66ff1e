// Package compare computes paired comparisons of two runs of the same benchmark: on the
// samples both runs answered, the mean and standard error of the per-sample differences, a
// normal 95% interval and a significance verdict (DESIGN §7's comparison object).
//
// It reads run directories' samples.jsonl journals through plan/rundir (id, score, error;
// the last line per id wins), so the engine can compare runs without importing any
// provider. It imports only plan/result and plan/rundir from the rest of evalplan.
package compare
