// Package plan is evalplan's engine: it turns a loaded configuration and the recorded state
// into a plan of actions on addresses (run, re-run, resume, reuse, forget), renders and saves
// plans, and applies them as a dependency graph with bounded parallelism.
//
// It is provider-agnostic: endpoints, datasets, runners, executors and services are reached
// only through the interfaces in providers.go, runner.go, executor.go, services.go and
// readiness.go, which packages under providers/ implement and cmd/ wires in. It must never
// import providers/, and names no runner kind, harness or image registry.
//
// A run is planned once (engine.go: the runner's PlanRun, run.go: PlannedRun and its
// identity), carried by its Action (plan.go), walked in the plan's graph (build.go) and
// executed (apply.go, executor.go); a saved plan is verified against a fresh one
// (verify.go).
package plan
