package status

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan"
	"github.com/evalplan/evalplan/plan/state"
)

// Mark is the verdict of one readiness line (plan.Mark).
type Mark = plan.Mark

// Marks of a readiness line.
const (
	// Ready (✓): what the configuration needs is there.
	Ready = plan.MarkReady
	// NotReady (✗): apply would fail on it; Check.Fix says what to do.
	NotReady = plan.MarkNotReady
	// Info (–): not needed, or something apply takes care of itself.
	Info = plan.MarkInfo
)

// Sections of a readiness report, in the order they are printed.
const (
	SectionEndpoints  = plan.SectionEndpoints
	SectionDatasets   = plan.SectionDatasets
	SectionContainers = plan.SectionContainers
	SectionExporters  = plan.SectionExporters
	SectionGPU        = plan.SectionGPU
	SectionState      = plan.SectionState
	SectionPlan       = plan.SectionPlan
)

var sectionTitles = []struct{ key, title string }{
	{SectionEndpoints, "Endpoints"},
	{SectionDatasets, "Datasets"},
	{SectionContainers, "Container images"},
	{SectionExporters, "Exporters"},
	{SectionGPU, "GPU"},
	{SectionState, "State"},
	{SectionPlan, "Plan"},
}

// Check is one readiness line: the providers' plan.Check.
type Check = plan.Check

// Report is the readiness of everything a configuration needs (`evalplan status`).
type Report struct {
	// Ready is true when no line is NotReady.
	Ready  bool         `json:"ready"`
	Checks []Check      `json:"checks"`
	State  StateSummary `json:"state"`
	// Lock is the process that holds the state lock now; nil when none does.
	Lock *state.Holder `json:"lock"`
	// Plan counts what apply would do; nil when the plan could not be made.
	Plan *plan.Summary `json:"plan"`
}

// NewReport returns an empty report, ready until a NotReady line is added.
func NewReport() *Report { return &Report{Ready: true, Checks: []Check{}} }

// Add appends a line and keeps Ready up to date.
func (r *Report) Add(c Check) {
	r.Checks = append(r.Checks, c)
	if c.Mark == NotReady {
		r.Ready = false
	}
}

// NotReadyCount is the number of NotReady lines.
func (r *Report) NotReadyCount() int {
	n := 0
	for _, c := range r.Checks {
		if c.Mark == NotReady {
			n++
		}
	}
	return n
}

// WriteText writes the report as `evalplan status` prints it: one block per section that has
// lines, each line "  ✓ NAME: DETAIL", a NotReady line's fix indented below it, and a verdict.
func (r *Report) WriteText(w io.Writer, color bool) error {
	var b strings.Builder
	for _, s := range sectionTitles {
		first := true
		for _, c := range r.Checks {
			if c.Section != s.key {
				continue
			}
			if first {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(s.title + "\n")
				first = false
			}
			fmt.Fprintf(&b, "  %s %s: %s\n", paint(c.Mark, color), c.Name, c.Detail)
			if c.Mark == NotReady && c.Fix != "" {
				fmt.Fprintf(&b, "      → %s\n", c.Fix)
			}
		}
	}
	b.WriteByte('\n')
	if n := r.NotReadyCount(); n > 0 {
		fmt.Fprintf(&b, "Not ready: %d problem(s) above (marked ✗).\n", n)
	} else {
		b.WriteString("Ready: everything this configuration needs is available.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func paint(m Mark, color bool) string {
	if !color {
		return m.Symbol()
	}
	switch m {
	case Ready:
		return "\x1b[32m" + m.Symbol() + "\x1b[0m"
	case NotReady:
		return "\x1b[31m" + m.Symbol() + "\x1b[0m"
	}
	return m.Symbol()
}

// DescribeState is the State section's summary line: "3 runs: 2 complete, 1 partial, 0
// failed, 0 running; last apply 2025-01-02T03:04:05Z".
func DescribeState(s StateSummary) string {
	if !s.Exists {
		return "no state file yet (the first apply creates it)"
	}
	d := fmt.Sprintf("serial %d, %d run(s): %d complete, %d partial, %d failed, %d running",
		s.Serial, s.Runs, s.Complete, s.Partial, s.Failed, s.Running)
	if s.LastApply != nil {
		d += "; last apply " + s.LastApply.UTC().Format(time.RFC3339)
	}
	return d
}

// DescribeHolder says who holds a lock: "pid 123 (evalplan apply) on host h since T".
func DescribeHolder(h state.Holder) string { return h.Describe() }

// DescribePlan is the Plan section's summary: "2 to run, 0 to re-run, ...".
func DescribePlan(s plan.Summary) string {
	return fmt.Sprintf("%d to run, %d to re-run, %d to resume, %d to reuse, %d to forget, %d to export, %d up to date",
		s.Run, s.Rerun, s.Resume, s.Reuse, s.Forget, s.Export, s.None)
}
