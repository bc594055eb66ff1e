// Package report owns what evalplan tells about the results in a state file, read from
// state alone: the report model ([Doc], built by [Build]: suites, their benchmarks across
// endpoints, each run's latest result and history, recorded paired comparisons and
// sub-score tables, in the configuration's order) and its four renderers ([WriteHTML],
// a self-contained page with inline SVG charts; [WriteMarkdown]; [WriteCSV]; [WriteJSON]),
// listed by name in [Formats]. It also gathers the paired comparisons that
// `evalplan compare` prints ([CompareEndpoints], [ComparePrevious]), preferring those apply
// recorded in state and reading run journals only when none is current.
//
// Printing command output, flags and loading the configuration and state belong to cmd/.
//
// It imports plan (for run addresses), plan/config, plan/state, plan/result, plan/compare,
// plan/rundir and plan/display from the rest of evalplan, and never providers/ or cmd/.
package report
