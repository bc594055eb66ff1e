package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/evalplan/evalplan/plan/report"
)

func cmdCompare(c *cli, args []string) int {
	var suite, previous string
	var asJSON bool
	var vars commonFlags
	fs := newFlagSet(c, "compare", "compare [-suite S] [-json] ENDPOINT_A ENDPOINT_B\n       evalplan compare [-json] -previous ADDR")
	fs.StringVar(&suite, "suite", "", "compare only in suite `S`")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.StringVar(&previous, "previous", "", "compare the run at `ADDR` with its previous result")
	vars.registerVars(fs)
	pos, code, ok := parseArgs(c, fs, args)
	if !ok {
		return code
	}
	if previous == "" && len(pos) != 2 || previous != "" && len(pos) != 0 {
		fmt.Fprintln(c.stderr, "Error: compare takes two endpoint names (ENDPOINT_A ENDPOINT_B), or -previous ADDR alone")
		return exitError
	}
	cfg, st, ok := c.stateForReading(vars.vars)
	if !ok {
		return exitError
	}
	var rows []report.Pair
	if previous != "" {
		addr, r := findResource(st, previous)
		if r == nil {
			fmt.Fprintf(c.stderr, "Error: no run %s in the state (see 'evalplan state list')\n", previous)
			return exitError
		}
		row, err := report.ComparePrevious(cfg, st, addr)
		if err != nil {
			fmt.Fprintln(c.stderr, "Error:", err)
			return exitError
		}
		rows = append(rows, row)
	} else {
		var problems []string
		rows, problems = report.CompareEndpoints(cfg, st, suite, pos[0], pos[1])
		for _, p := range problems {
			fmt.Fprintln(c.stderr, "Warning:", p)
		}
		if len(rows) == 0 {
			fmt.Fprintf(c.stderr, "Error: no benchmark has complete or partial runs of both %s and %s to compare\n", pos[0], pos[1])
			return exitError
		}
	}
	if asJSON {
		return printJSON(c, rows)
	}
	printComparisons(c, rows)
	return exitOK
}

// printComparisons prints rows as a table, headed by what the differences are.
func printComparisons(c *cli, rows []report.Pair) {
	fmt.Fprintf(c.stdout, "Paired differences %s − %s on the samples both answered (95%% interval = diff ± 1.96·stderr):\n\n", rows[0].New, rows[0].Base)
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUITE\tBENCHMARK\tMETRIC\tDIFF\tSTDERR\t95% INTERVAL\tN\tEXCLUDED\tVERDICT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d errored, %d unmatched\t%s\n",
			r.Suite, r.Benchmark, r.Metric, fmtSigned(r.Diff), fmtScore(r.Stderr), signedCI(r.CI95), r.N, r.Excluded.Errored, r.Excluded.Unmatched, r.Verdict)
	}
	tw.Flush()
}

// fmtScore shows a value with three decimals; "–" when there is none.
func fmtScore(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f", *v)
}

// fmtSigned shows a difference with its sign.
func fmtSigned(v float64) string { return fmt.Sprintf("%+.3f", v) }

// signedCI shows a 95% interval of a difference with signs; "–" when there is none.
func signedCI(ci *[2]float64) string {
	if ci == nil {
		return "–"
	}
	return fmt.Sprintf("[%+.3f, %+.3f]", ci[0], ci[1])
}
