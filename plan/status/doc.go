// Package status reads what is happening to a configuration's state without ever taking its
// lock: a summary of the runs a state file records ([Summarize]), whether a process holds the
// state lock now and who ([LockHolder]), and the live progress of the runs an apply is working
// on, read from their run directories ([Monitor]). It also holds the readiness report that
// `evalplan status` prints ([Report]); the CLI gathers its facts (endpoint probes, datasets,
// images, exporters) from the providers, which implement plan.Checker.
//
// Decisions a successor would otherwise rediscover:
//   - A lock is "held" when the kernel says so: on Linux an FLOCK entry in /proc/locks for
//     the lock file's inode (a killed holder leaves its JSON in the file but no flock).
//     Elsewhere the holder's pid is checked for liveness. Probing with a non-blocking flock
//     would take the lock for an instant and could make a starting apply fail with exit 5.
//   - Progress comes from the run directory, in evalplan's own format (DESIGN §7), read
//     through plan/rundir: done is the number of distinct sample ids in samples.jsonl (the
//     last line of an id wins), errors those whose last line is an error, total is
//     run_config.json's selection.n (0 when unknown, as for container runs). The journal is
//     followed incrementally (rundir.Tail): each refresh reads only the bytes appended since
//     the previous one.
//   - Requests per second are journal lines appended per second over a sliding window of
//     refreshes, so the first snapshot has no rate and no ETA; ETA = (total − done) / rate.
//
// It imports plan, plan/state, plan/rundir and plan/display only; never providers.
package status
