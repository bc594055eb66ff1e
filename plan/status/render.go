package status

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evalplan/evalplan/plan/display"
)

// WriteSnapshot writes a snapshot as `evalplan monitor` shows it: who holds the lock (or that
// no apply runs), then one line per run with done/total, errors, rate and ETA, and below it
// the run's container and latest errors, then the GPUs of the managed servers apply watches.
func WriteSnapshot(w io.Writer, s *Snapshot) error {
	var b strings.Builder
	switch {
	case s.Ended != nil:
		fmt.Fprintf(&b, "Apply ended: %s\n", DescribeHolder(*s.Ended))
	case s.Holder == nil:
		b.WriteString("No apply running.\n")
	default:
		fmt.Fprintf(&b, "Apply running: %s", DescribeHolder(*s.Holder))
		if !s.Holder.Started.IsZero() {
			fmt.Fprintf(&b, " (%s ago)", s.Time.Sub(s.Holder.Started).Round(time.Second))
		}
		b.WriteString("\n")
	}
	if len(s.Runs) == 0 && s.Holder != nil {
		b.WriteString("\nNo run started yet.\n")
	}
	for _, r := range s.Runs {
		b.WriteString("\n" + runLine(r, s.Time) + "\n")
		if c := r.Container; c != nil {
			fmt.Fprintf(&b, "    container: %s\n", describeContainer(*c))
		}
		if j := r.Job; j != nil {
			fmt.Fprintf(&b, "    slurm job: %s\n", DescribeJob(*j))
		}
		if r.Error != "" {
			fmt.Fprintf(&b, "    error: %s\n", r.Error)
		}
		for _, e := range r.LastErrors {
			fmt.Fprintf(&b, "    recent error: %s\n", e)
		}
	}
	writeServerGPUs(&b, s.Servers, s.Time)
	if n := len(s.Interrupted); n > 0 {
		fmt.Fprintf(&b, "\n%d run(s) recorded as running were interrupted; 'evalplan apply' resumes them:\n", n)
		for _, a := range s.Interrupted {
			fmt.Fprintf(&b, "  %s\n", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// runLine is "ADDR  running  12/40 (30%)  1 error(s)  3.5 req/s  ETA 8s  elapsed 4s".
func runLine(r Run, now time.Time) string {
	parts := []string{r.Address, r.Status}
	switch {
	case r.Total > 0:
		parts = append(parts, fmt.Sprintf("%d/%d (%d%%)", r.Done, r.Total, r.Done*100/r.Total))
	case r.Done > 0:
		parts = append(parts, fmt.Sprintf("%d done", r.Done))
	}
	if r.Total > 0 || r.Done > 0 {
		parts = append(parts, fmt.Sprintf("%d error(s)", r.Errors))
	}
	if r.RequestsPerSecond != nil {
		parts = append(parts, fmt.Sprintf("%.1f req/s", *r.RequestsPerSecond))
	}
	if r.ETASeconds != nil {
		parts = append(parts, "ETA "+(time.Duration(*r.ETASeconds)*time.Second).String())
	}
	if r.StartedAt != nil && r.Status == "running" {
		parts = append(parts, "elapsed "+now.Sub(*r.StartedAt).Round(time.Second).String())
	}
	return strings.Join(parts, "  ")
}

// describeContainer is "running 1m5s, CPU 12.5%, memory 45.2 MB".
func describeContainer(c Container) string {
	el := (time.Duration(c.ElapsedSeconds * float64(time.Second))).Round(time.Second)
	if c.State == "exited" && c.ExitCode != nil {
		return fmt.Sprintf("exited with code %d after %s", *c.ExitCode, el)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.State, el)
	if c.CPUPercent != nil {
		fmt.Fprintf(&b, ", CPU %.1f%%", *c.CPUPercent)
	}
	if c.MemoryBytes > 0 {
		fmt.Fprintf(&b, ", memory %s", display.Bytes(int64(c.MemoryBytes)))
	}
	return b.String()
}

// DescribeJob is "1234 RUNNING on node07, 1:05" (or "1234, no longer queued").
func DescribeJob(j ClusterJob) string {
	if j.State == "" {
		return j.ID + ", no longer queued"
	}
	s := j.ID + " " + j.State
	if j.Node != "" {
		s += " on " + j.Node
	}
	if j.Elapsed != "" {
		s += ", " + j.Elapsed
	}
	return s
}
