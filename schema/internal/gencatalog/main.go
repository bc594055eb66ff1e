// Command gencatalog writes schema/catalog_data.json, the benchmark catalog and suite presets
// that package schema embeds, from NeMo Evaluator's catalog.json and suites.yaml:
//
//	go run ./schema/internal/gencatalog -catalog catalog.json -suites suites.yaml -out schema/catalog_data.json
//
// It prints, as a Markdown table, every decision it took for a preset entry the catalog lacks
// (the table in presetDecisions); docs/catalog.md carries the same table.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
}

// run parses the flags, generates the data file and prints the preset decisions to w.
func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("gencatalog", flag.ContinueOnError)
	catalogPath := fs.String("catalog", "", "NeMo Evaluator catalog.json")
	suitesPath := fs.String("suites", "", "suites.yaml with the suite presets")
	outPath := fs.String("out", "catalog_data.json", "file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *catalogPath == "" || *suitesPath == "" {
		return fmt.Errorf("-catalog and -suites are required")
	}
	catalogJSON, err := os.ReadFile(*catalogPath)
	if err != nil {
		return err
	}
	suitesYAML, err := os.ReadFile(*suitesPath)
	if err != nil {
		return err
	}
	out, decisions, err := generate(catalogJSON, suitesYAML, presetDecisions(), harnessPackages())
	if err != nil {
		return err
	}
	if err := os.WriteFile(*outPath, out, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%d bytes)\n\n", *outPath, len(out))
	return writeDecisions(w, decisions)
}

// writeDecisions prints the preset decisions as the Markdown table of docs/catalog.md.
func writeDecisions(w io.Writer, decisions []decision) error {
	fmt.Fprintln(w, "| preset | name in suites.yaml | decision | reason |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, d := range decisions {
		action := "dropped"
		if d.To != "" {
			action = "mapped to `" + d.To + "`"
		}
		if _, err := fmt.Fprintf(w, "| %s | `%s` | %s | %s |\n", d.Preset, d.Name, action, d.Reason); err != nil {
			return err
		}
	}
	return nil
}
