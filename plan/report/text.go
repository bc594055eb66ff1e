package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/evalplan/evalplan/plan/result"
)

// fmtScore shows a score with three decimals; "–" when there is none.
func fmtScore(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f", *v)
}

// fmtCI shows a 95% interval as [lo, hi]; "" when there is none.
func fmtCI(ci *[2]float64) string {
	if ci == nil {
		return ""
	}
	return fmt.Sprintf("[%.3f, %.3f]", ci[0], ci[1])
}

// fmtSigned shows a difference with its sign.
func fmtSigned(v float64) string { return fmt.Sprintf("%+.3f", v) }

// verdict names a comparison's outcome.
func verdict(significant bool) string {
	if significant {
		return "significant"
	}
	return "not significant"
}

// runCell is a run's score as text: "0.735 ± 0.031 [0.674, 0.796] n=200", or its status.
func runCell(r Run) string {
	if r.Score == nil {
		return "**" + mdEscape(r.Status) + "**"
	}
	s := fmtScore(r.Score)
	if r.Stderr != nil {
		s += fmt.Sprintf(" ± %.3f", *r.Stderr)
	}
	if r.CI95 != nil {
		s += " " + fmtCI(r.CI95)
	}
	s += " " + nText(r)
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	if r.Status != "complete" {
		s += " **" + mdEscape(r.Status) + "**"
	}
	return s
}

// changeText is a run's change since its previous result, signed; "–" when unknown.
func changeText(r Run) string {
	if r.Change == nil {
		return "–"
	}
	return fmtSigned(*r.Change)
}

// mdReplacer escapes text for Markdown: raw HTML (a server's error message may hold
// <script>) becomes entities, "|" cannot end a table cell and a newline cannot end a row or
// a list item.
var mdReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

// mdEscape escapes s — any text from the configuration, state or a server — for Markdown,
// in a table cell or in running text.
func mdEscape(s string) string { return mdReplacer.Replace(s) }

// mdCode is s as a Markdown code span: backticks cannot end it early.
func mdCode(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// WriteMarkdown writes doc as Markdown: per suite a table of benchmarks × endpoints (score
// ± stderr, 95% interval, n and the change since the previous result), then per benchmark
// its runs that did not complete, its paired comparisons and its sub-score tables.
func WriteMarkdown(w io.Writer, doc *Doc) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# evalplan report\n\nState %s (serial %d), generated %s. Scores are means with their standard error; intervals are 95%% (Wilson for proportions, mean ± 1.96·stderr otherwise).\n",
		mdCode(doc.State), doc.Serial, doc.GeneratedAt.Format("2006-01-02 15:04 UTC"))
	if len(doc.Suites) == 0 {
		fmt.Fprintln(b, "\nThe state has no runs yet: run `evalplan apply` first.")
	}
	for _, s := range doc.Suites {
		fmt.Fprintf(b, "\n## Suite %s\n\n| benchmark | metric |", mdEscape(s.Name))
		for _, e := range s.Endpoints {
			fmt.Fprintf(b, " %s | change |", mdEscape(e))
		}
		fmt.Fprint(b, "\n|---|---|")
		for range s.Endpoints {
			fmt.Fprint(b, "---|---|")
		}
		fmt.Fprintln(b)
		for _, bm := range s.Benchmarks {
			fmt.Fprintf(b, "| %s | %s |", mdEscape(bm.Name), mdEscape(bm.Primary))
			for _, e := range s.Endpoints {
				r, ok := runFor(bm, e)
				if !ok {
					fmt.Fprint(b, " – | – |")
					continue
				}
				fmt.Fprintf(b, " %s | %s |", runCell(r), changeText(r))
			}
			fmt.Fprintln(b)
		}
		writeMarkdownDetails(b, s)
	}
	return b.Flush()
}

// writeMarkdownDetails writes the sections of s's benchmarks that have more to show than
// the summary table.
func writeMarkdownDetails(b *bufio.Writer, s Suite) {
	for _, bm := range s.Benchmarks {
		var failed []Run
		for _, r := range bm.Runs {
			if r.Status != "complete" {
				failed = append(failed, r)
			}
		}
		if len(bm.Comparisons) == 0 && len(bm.Subscores) == 0 && len(failed) == 0 && len(bm.NoSamples) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n### %s\n", mdEscape(bm.Name))
		for _, r := range failed {
			fmt.Fprintf(b, "\n- **%s** on %s", mdEscape(r.Status), mdEscape(r.Endpoint))
			if r.Error != "" {
				fmt.Fprintf(b, ": %s", mdEscape(r.Error))
			}
			fmt.Fprintln(b)
		}
		if len(bm.Comparisons) > 0 {
			fmt.Fprint(b, "\nPaired differences on the samples both runs answered:\n\n| new − base | diff | stderr | 95% interval | n | excluded | verdict |\n|---|---|---|---|---|---|---|\n")
			for _, c := range bm.Comparisons {
				fmt.Fprintf(b, "| %s − %s | %s | %s | %s | %d | %d errored, %d unmatched | %s |\n",
					mdEscape(c.New), mdEscape(c.Base), fmtSigned(c.Diff), fmtScore(c.Stderr), fmtCI(c.CI95), c.N, c.Errored, c.Unmatched, verdict(c.Significant))
			}
		}
		if len(bm.NoSamples) > 0 {
			fmt.Fprintf(b, "\n%s\n", noSamplesText(bm.NoSamples))
		}
		for _, t := range bm.Subscores {
			fmt.Fprintf(b, "\n| %s |", mdEscape(t.Group))
			for _, e := range s.Endpoints {
				fmt.Fprintf(b, " %s |", mdEscape(e))
			}
			fmt.Fprintf(b, "\n|---|%s\n", strings.Repeat("---|", len(s.Endpoints)))
			for _, row := range t.Rows {
				fmt.Fprintf(b, "| %s |", mdEscape(row.Name))
				for _, e := range s.Endpoints {
					fmt.Fprintf(b, " %s |", subCell(row.Values, e))
				}
				fmt.Fprintln(b)
			}
		}
	}
}

// subCell is one subscore value as text.
func subCell(values map[string]result.Metric, endpoint string) string {
	m, ok := values[endpoint]
	if !ok {
		return "–"
	}
	s := fmt.Sprintf("%.3f", m.Value)
	if m.Stderr != nil {
		s += fmt.Sprintf(" ± %.3f", *m.Stderr)
	}
	return s + fmt.Sprintf(" (n=%d)", m.N)
}

// WriteCSV writes doc as CSV with a header row: one row per run and metric (group and name
// empty; the primary metric first, the only one with previous and change, then the others by
// name), then one per sub-score and endpoint (status, errors, previous and change empty). The
// columns are suite, benchmark, endpoint, status, group, name, metric, value, stderr,
// ci95_lo, ci95_hi, n, errors, previous and change; numbers are written in full, and
// unknown values are empty.
func WriteCSV(w io.Writer, doc *Doc) error {
	cw := csv.NewWriter(w)
	header := []string{"suite", "benchmark", "endpoint", "status", "group", "name", "metric", "value", "stderr", "ci95_lo", "ci95_hi", "n", "errors", "previous", "change"}
	if err := cw.Write(header); err != nil {
		return err
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	ci := func(c *[2]float64) (string, string) {
		if c == nil {
			return "", ""
		}
		return num(&c[0]), num(&c[1])
	}
	for _, s := range doc.Suites {
		for _, b := range s.Benchmarks {
			for _, r := range b.Runs {
				lo, hi := ci(r.CI95)
				var prev *float64
				if r.Previous != nil {
					prev = r.Previous.Score
				}
				row := []string{s.Name, b.Name, r.Endpoint, r.Status, "", "", b.Primary, num(r.Score), num(r.Stderr), lo, hi, strconv.Itoa(r.N), strconv.Itoa(r.Errors), num(prev), num(r.Change)}
				if err := cw.Write(row); err != nil {
					return err
				}
				for _, name := range slices.Sorted(maps.Keys(r.Metrics)) {
					if name == b.Primary {
						continue
					}
					m := r.Metrics[name]
					lo, hi := ci(m.CI95)
					if err := cw.Write([]string{s.Name, b.Name, r.Endpoint, r.Status, "", "", name, num(&m.Value), num(m.Stderr), lo, hi, strconv.Itoa(m.N), strconv.Itoa(r.Errors), "", ""}); err != nil {
						return err
					}
				}
			}
			for _, t := range b.Subscores {
				for _, row := range t.Rows {
					for _, e := range s.Endpoints {
						m, ok := row.Values[e]
						if !ok {
							continue
						}
						lo, hi := ci(m.CI95)
						if err := cw.Write([]string{s.Name, b.Name, e, "", t.Group, row.Name, b.Primary, num(&m.Value), num(m.Stderr), lo, hi, strconv.Itoa(m.N), "", "", ""}); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// nText is a run's n: "n=200", or "n unknown" when its runner could not tell.
func nText(r Run) string {
	if r.NUnknown {
		return "n unknown"
	}
	return fmt.Sprintf("n=%d", r.N)
}

// noSamplesText says that the runs on endpoints have no per-sample scores.
func noSamplesText(endpoints []string) string {
	return fmt.Sprintf("Per-sample scores are not available for the run on %s: its harness wrote no per-sample output, so no paired comparison includes it.",
		mdEscape(strings.Join(endpoints, ", ")))
}
