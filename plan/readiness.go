package plan

import (
	"context"

	"github.com/evalplan/evalplan/plan/config"
)

// Checker is implemented by providers that can tell whether what a plan's work needs from
// them is present on this machine: binaries, daemons, images, credentials, GPUs, reachable
// servers. `evalplan status` asks every provider the engine holds that implements it.
//
// Check must not change anything (no pull, no download, no server start) and should bound
// its own network calls; it returns one line per thing it looked at, nothing when needs asks
// nothing of the provider. A line is MarkNotReady only when an apply would fail on it, and
// then its Fix (or its Detail) says what to do.
//
// Providers that hold resources may also implement io.Closer, or Close(context.Context)
// error when closing can block (an exporter stopping a managed server); the CLI calls it
// when the command ends.
type Checker interface {
	Check(ctx context.Context, cfg *config.Config, needs *Needs) []Check
}

// Mark is the verdict of one readiness check.
type Mark string

// Marks of a readiness check.
const (
	// MarkReady (✓): what the work needs is there.
	MarkReady Mark = "ready"
	// MarkNotReady (✗): apply would fail on it; Check.Fix says what to do.
	MarkNotReady Mark = "not_ready"
	// MarkInfo (–): not needed, or something apply takes care of itself (a download, a pull,
	// a managed server it starts).
	MarkInfo Mark = "info"
)

// Symbol is the mark as `evalplan status` prints it: ✓, ✗ or –.
func (m Mark) Symbol() string {
	switch m {
	case MarkReady:
		return "✓"
	case MarkNotReady:
		return "✗"
	}
	return "–"
}

// Sections of a readiness report, in the order `evalplan status` prints them.
const (
	SectionEndpoints  = "endpoints"
	SectionDatasets   = "datasets"
	SectionContainers = "containers"
	SectionExporters  = "exporters"
	SectionGPU        = "gpu"
	SectionState      = "state"
	SectionPlan       = "plan"
)

// Check is one readiness line. (Not to be confused with CheckResult, the outcome of a check
// block.)
type Check struct {
	Section string `json:"section"`
	// Name is what the line is about: an address (endpoint.qwen) or a subject (docker).
	Name   string `json:"name"`
	Mark   Mark   `json:"mark"`
	Detail string `json:"detail"`
	// Fix says what to do; set for MarkNotReady lines whose Detail does not already say it.
	Fix string `json:"fix,omitempty"`
}
