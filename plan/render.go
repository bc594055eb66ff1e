package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/evalplan/evalplan/plan/display"
	"github.com/rogpeppe/go-internal/diff"
)

// Colors used by the human rendering; empty strings when colour is off.
type palette struct{ green, yellow, red, cyan, bold, dim, reset string }

func newPalette(color bool) palette {
	if !color {
		return palette{}
	}
	return palette{green: "\x1b[32m", yellow: "\x1b[33m", red: "\x1b[31m", cyan: "\x1b[36m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m"}
}

// symbols and verbs of each action, as Terraform renders them.
var actionStyle = map[ActionType]struct{ sym, verb string }{
	ActionRun:     {"+", "will be run"},
	ActionRerun:   {"~", "will be re-run"},
	ActionReplace: {"-/+", "will be re-run (forced)"},
	ActionResume:  {"!", "will be resumed"},
	ActionReuse:   {"=", "will reuse a recorded result"},
	ActionForget:  {"-", "will be forgotten"},
	ActionExport:  {"→", "will be exported"},
}

// Render writes the human form of a plan. It is built only from the Plan document, so the
// saved JSON and what people read always agree.
func Render(w io.Writer, p *Plan, color bool) {
	c := newPalette(color)
	for _, wmsg := range p.Warnings {
		fmt.Fprintf(w, "%sWarning:%s %s\n", c.yellow, c.reset, wmsg)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "%sNote:%s %s\n", c.cyan, c.reset, n)
	}
	if len(p.Warnings)+len(p.Notes) > 0 {
		fmt.Fprintln(w)
	}
	if !p.Summary.Changes() {
		fmt.Fprintf(w, "%sNo changes.%s Every run is up to date (%d runs).\n", c.green+c.bold, c.reset, p.Summary.None)
		renderSkipped(w, p, c)
		renderChecks(w, p, c)
		return
	}
	fmt.Fprintln(w, "evalplan will perform the following actions:")
	for _, sv := range p.Services {
		fmt.Fprintf(w, "\n  %s> start%s %s (managed endpoint, before its first run)\n", c.cyan, c.reset, sv.Address)
		for _, s := range sv.Settings {
			fmt.Fprintf(w, "      %s\n", s)
		}
		if sv.Stop {
			fmt.Fprintf(w, "  %s< stop%s  %s (after its last run)\n", c.cyan, c.reset, sv.Address)
		}
	}
	for _, a := range p.Actions {
		st, ok := actionStyle[a.Action]
		if !ok {
			continue
		}
		col := actionColor(a.Action, c)
		fmt.Fprintln(w)
		reason := ""
		if a.Reason != "" {
			reason = ": " + a.Reason
		}
		fmt.Fprintf(w, "  %s# %s %s%s%s\n", c.bold, a.Address, st.verb, reason, c.reset)
		fmt.Fprintf(w, "  %s%s %s%s %s\n", col, st.sym, a.Action, c.reset, a.Address)
		for _, ch := range a.Changes {
			renderChange(w, ch, c)
		}
		if a.ReuseFrom != "" {
			fmt.Fprintf(w, "      = copied from %s (no requests)\n", a.ReuseFrom)
		}
		if a.Identity != "" && (a.Action == ActionRun || a.Action == ActionRerun || a.Action == ActionReplace) {
			fmt.Fprintf(w, "      %sidentity: %s%s\n", c.dim, display.ShortID(a.Identity), c.reset)
		} else if a.Identity == "" && a.Action.runs() && runtimePlaceholder(a.Inputs) {
			fmt.Fprintf(w, "      %sidentity: known after prepare (apply prepares the environment, then runs only if the identity is not the recorded one)%s\n", c.dim, c.reset)
		}
		if a.Note != "" && a.Action.runs() {
			fmt.Fprintf(w, "      %snote: %s%s\n", c.dim, a.Note, c.reset)
		}
	}
	fmt.Fprintln(w)
	renderSkipped(w, p, c)
	renderChecks(w, p, c)
	s := p.Summary
	fmt.Fprintf(w, "%sPlan:%s %d to run, %d to re-run, %d to resume, %d to reuse, %d to forget, %d to export.\n",
		c.bold, c.reset, s.Run, s.Rerun, s.Resume, s.Reuse, s.Forget, s.Export)
}

// runtimePlaceholder reports whether a run's inputs wait for its environment
// (KnownAfterPrepare).
func runtimePlaceholder(in Inputs) bool {
	b, _ := in["benchmark"].(map[string]any)
	return b["runtime"] == KnownAfterPrepare
}

func actionColor(action ActionType, c palette) string {
	switch action {
	case ActionRun, ActionReuse, ActionExport:
		return c.green
	case ActionForget, ActionReplace:
		return c.red
	default:
		return c.yellow
	}
}

func renderSkipped(w io.Writer, p *Plan, c palette) {
	if len(p.Skipped) == 0 {
		return
	}
	fmt.Fprintf(w, "Skipped %d benchmark run(s) that an endpoint cannot serve:\n", len(p.Skipped))
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "  %s- %s on endpoint.%s (suite %s): %s%s\n", c.dim, s.Benchmark, s.Endpoint, s.Suite, s.Reason, c.reset)
	}
	fmt.Fprintln(w)
}

func renderChecks(w io.Writer, p *Plan, c palette) {
	for _, ch := range p.Checks {
		switch ch.Status {
		case CheckFail, CheckError:
			fmt.Fprintf(w, "%sWarning:%s %s would fail on recorded results: %s\n", c.yellow, c.reset, ch.Address, ch.Message)
		case CheckDeferred:
			fmt.Fprintf(w, "%s%s is evaluated after apply (%s)%s\n", c.dim, ch.Address, ch.Message, c.reset)
		}
	}
}

// renderValue prints an identity value compactly: numbers and strings as JSON, absent as (none).
func renderValue(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// renderChange prints one changed identity field: short values inline, long or multi-line
// text (a task block's canonical text) as a unified diff.
func renderChange(w io.Writer, ch Change, c palette) {
	os, oldText := ch.Old.(string)
	ns, newText := ch.New.(string)
	// A runtime (an environment's lock hash) reads best on one line, whatever its length.
	if !oldText || !newText || ch.Path == "benchmark.runtime" || (len(os) <= 60 && len(ns) <= 60 && !strings.Contains(os+ns, "\n")) {
		fmt.Fprintf(w, "      %s~%s %s: %s → %s\n", c.yellow, c.reset, ch.Path, renderValue(ch.Old), renderValue(ch.New))
		return
	}
	fmt.Fprintf(w, "      %s~%s %s changed:\n", c.yellow, c.reset, ch.Path)
	d := diff.Diff("old", []byte(ensureNewline(os)), "new", []byte(ensureNewline(ns)))
	for _, line := range strings.Split(strings.TrimRight(string(d), "\n"), "\n") {
		col := ""
		switch {
		case strings.HasPrefix(line, "+"):
			col = c.green
		case strings.HasPrefix(line, "-"):
			col = c.red
		}
		fmt.Fprintf(w, "          %s%s%s\n", col, line, c.reset)
	}
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
