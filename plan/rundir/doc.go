// Package rundir owns the run directory: the names of the files a run leaves in it and their
// formats, with the readers and writers every other package goes through. A runner writes a
// run directory; the engine, comparisons, progress, reports and exporters only read it.
//
// A run directory holds:
//   - samples.jsonl ([JournalFile]) — the journal: one JSON object ([Record]) per finished
//     sample, appended with a single write call the moment the sample completes, fsync
//     batched ([Journal]). For each id the last line wins; a line that does not parse (such
//     as a last line cut short by a crash) is skipped ([ReadJournal], [ReadOutcomes],
//     [LastOutcomes], and [Tail] for a journal that is still growing).
//   - results.json ([ResultsFile]) — the run's [result.Result], written atomically
//     ([WriteResults], [ReadResults], [HasResults]).
//   - run_config.json ([RunConfigFile]) — what a native run was, a document the runner
//     defines ([WriteRunConfig], [ReadRunConfig]); readers here need only its selection size
//     ([SelectionSize]).
//   - for a container run: run_config.yml ([ContainerConfigFile], the harness's own run
//     configuration), results.yml ([ContainerResultsFile], the harness's results) and
//     container.log ([ContainerLogFile]), beside results.json; samples.jsonl only when the
//     harness wrote per-sample files the runner turns into records.
//   - .evalplan-run.lock ([LockFile]) — held locked ([Lock]) by the process running the run,
//     so that no other process (another project sharing the output directory) moves the
//     directory aside or writes it meanwhile.
//
// Decisions a successor would otherwise rediscover:
//   - The formats are on disk in users' output directories: a change to [Record]'s JSON
//     shape must still read every existing journal.
//   - [Record.Usage] is this package's [Usage], with the same JSON shape as the OpenAI
//     client's, so that plan/ never imports providers/.
//   - JSON documents (results.json, run_config.json) are written to a temporary file in the
//     same directory, fsynced and renamed over the old one, so a reader sees the old file or
//     the new one, never half of one.
//
// It imports plan/result only from the rest of evalplan; never providers/ or cmd/.
package rundir
