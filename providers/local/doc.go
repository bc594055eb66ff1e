// Package local is evalplan's local exporter (exporter "local" blocks): it keeps a flat
// results.jsonl and results.csv, one row per run across every run exported to it, in the
// block's path (default <output_dir>/results).
//
// Rows are keyed by run address: exporting a run again replaces its row, so the files always
// hold each run's latest result. Rows are sorted by address and columns are in a fixed order
// (run columns, then metric and sub-score columns sorted by name), so the files diff well.
//
// The package imports plan and plan/config from evalplan, never other providers.
package local
