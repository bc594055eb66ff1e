// Package scoring holds the answer extraction and scoring rules of evalplan's native tasks,
// written to give exactly the results of the reference harnesses (see
// shared/reference/scoring.md), including their quirks. Where a native task mirrors a NeMo
// task (schema.Native.Mirrors), the reference is the code of NVIDIA's package as installed
// (nvidia-simple-evals, nvidia-lm-eval), and the native package's TestConformanceWithNeMo
// checks the agreement sample by sample.
//
// The references are Python; where Python's re module and Go's regexp (RE2) differ, the code
// here mirrors Python explicitly: `$` without MULTILINE also matches before a final "\n",
// str.strip() removes Unicode white space and the information separators U+001C–U+001F,
// re.findall with groups yields group tuples, and str.lower() maps U+0130 to "i̇".
//
// Every scorer carries a version constant that is part of a run's identity: change the
// constant whenever a change here could change a score.
//
// It imports nothing from the rest of evalplan.
package scoring
