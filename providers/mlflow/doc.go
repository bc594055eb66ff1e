// Package mlflow is evalplan's MLflow provider: a Go client of the MLflow tracking server's
// REST API (Client), the exporter behind `exporter "mlflow"` blocks (Exporter, which
// implements plan.Exporter), and the managed local tracking server (Server) behind
// `server { managed = true }` and `evalplan mlflow start|stop|status`.
//
// No Python runs at export time: everything goes through /api/2.0/mlflow/... and the
// server's artifact proxy (/api/2.0/mlflow-artifacts/artifacts/...). Only the managed server
// runs the `mlflow` program (EVALPLAN_MLFLOW, else PATH).
//
// One MLflow run holds one evalplan run (a benchmark against an endpoint). Its tag
// evalplan.identity makes exports idempotent: before creating a run the experiment is
// searched for that tag, so a lost state never leads to a second MLflow run.
//
// Facts about the REST API (limits, error codes, the artifact proxy, the table format) are
// those of shared/reference/mlflow.md; the constants below cite them.
//
// The package imports plan, plan/config, plan/display, plan/result and plan/rundir (the run directory's
// journal) from evalplan; never a runner or the CLI.
package mlflow
