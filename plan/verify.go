package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/evalplan/evalplan/plan/config"
	"github.com/evalplan/evalplan/plan/state"
	"github.com/hashicorp/hcl/v2"
)

// VerifySaved checks a saved plan before apply carries it out: the state, the
// configuration files and the endpoints must be as they were (CheckStale), and planning
// afresh on them, with the saved plan's targets and replacements, must give the same
// document action by action. An action edited by hand (another action word, a reuse_from
// pointing elsewhere, a forget of a configured run, an edited parameter or identity) is
// refused, naming the address. It returns the fresh plan, which apply performs, or the
// error (wrapping ErrStalePlan) that refuses the saved one; diagnostics are those of
// planning. st is the state as read (Lineage "" when no state file exists yet).
func (e *Engine) VerifySaved(ctx context.Context, cfg *config.Config, st *state.File, saved *Plan) (*Plan, hcl.Diagnostics, error) {
	for _, a := range saved.Actions {
		if !a.Action.known() {
			return nil, nil, fmt.Errorf("%w: %s has an unknown action %q", ErrStalePlan, a.Address, a.Action)
		}
	}
	fresh, diags := e.Plan(ctx, cfg, st, Options{Refresh: true, Targets: saved.Targets, Replace: saved.Replace})
	if diags.HasErrors() {
		return nil, diags, nil
	}
	if err := CheckStale(cfg, st, saved, fresh.Fingerprints); err != nil {
		return nil, diags, err
	}
	if err := sameActions(saved, fresh); err != nil {
		return nil, diags, err
	}
	return fresh, diags, nil
}

// sameActions compares a saved plan's actions with a fresh plan's, field by field as the
// document holds them.
func sameActions(saved, fresh *Plan) error {
	byAddr := make(map[string]*Action, len(fresh.Actions))
	for _, a := range fresh.Actions {
		byAddr[a.Address] = a
	}
	seen := map[string]bool{}
	for _, a := range saved.Actions {
		seen[a.Address] = true
		f := byAddr[a.Address]
		if f == nil {
			return fmt.Errorf("%w: %s: the plan says %s, but planning again has nothing to do there", ErrStalePlan, a.Address, a.Action)
		}
		if a.Action != f.Action {
			return fmt.Errorf("%w: %s: the plan says %s, planning again says %s", ErrStalePlan, a.Address, a.Action, f.Action)
		}
		if a.ReuseFrom != f.ReuseFrom {
			return fmt.Errorf("%w: %s: the plan reuses %q, planning again reuses %q", ErrStalePlan, a.Address, a.ReuseFrom, f.ReuseFrom)
		}
		same, err := sameJSON(a, f)
		if err != nil {
			return err
		}
		if !same {
			return fmt.Errorf("%w: %s: the planned %s differs from what planning again gives (identity, inputs or parameters were edited, or changed since)", ErrStalePlan, a.Address, a.Action)
		}
	}
	for _, f := range fresh.Actions {
		if !seen[f.Address] && f.Action.work() {
			return fmt.Errorf("%w: %s: planning again says %s, which the plan does not", ErrStalePlan, f.Address, f.Action)
		}
	}
	return nil
}

// sameJSON reports whether two actions encode to the same document.
func sameJSON(a, b *Action) (bool, error) {
	x, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("encode %s: %w", a.Address, err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("encode %s: %w", b.Address, err)
	}
	return bytes.Equal(x, y), nil
}
