// Package plantest is the shared contract test that every provider combination passes
// (DESIGN §6): plan → apply → re-plan is a no-op → state round-trips, through the same
// calls the CLI makes (config.Load, Engine.Plan, plan.MarshalPlan/ReadPlan, CheckStale,
// Engine.Apply, state.Store), with real providers wired into a [plan.Engine] by the
// provider's own test.
//
// It is imported only by tests (it imports "testing"). It must not import providers/: the
// provider's test package builds the engine and passes it in a [Case].
package plantest
