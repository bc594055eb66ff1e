// Package slurm is the Slurm executor: it carries out each planned run as one Slurm job
// (sbatch --parsable), submitted with the local Slurm commands, and collects the outcome the
// node writes to the shared directory. On the node, the hidden command
// `evalplan __run-job SPECFILE` performs the run with the normal runner (plan.RunRemote).
//
// Managed (vllm) endpoints run on the cluster, as the block's model_server says: "in_job"
// puts the runs of one endpoint that are ready together into one job whose node starts the
// server once (plan.Engine.RunRemoteGroup); "own_job" submits the server as a job of its own
// (`evalplan __serve-job SPECFILE`), recorded on the endpoint in state, which the run jobs
// depend on and find through the URL file it writes to the shared directory (Discovered).
//
// It imports plan and plan/config; plan never imports it (cmd/evalplan wires it in).
package slurm
