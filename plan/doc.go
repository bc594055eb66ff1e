// Package plan is evalplan's engine: it turns a loaded configuration and the recorded state
// into a plan of actions on addresses (run, re-run, resume, reuse, forget), renders and saves
// plans, and applies them as a dependency graph with bounded parallelism.
//
// It is provider-agnostic: endpoints, datasets and runners are reached only through the
// interfaces in provider.go, which packages under providers/ implement and cmd/ wires in.
// It must never import providers/.
package plan
