// Package slurm is the Slurm executor: it carries out each planned run as one Slurm job
// (sbatch --parsable), submitted with the local Slurm commands, and collects the outcome the
// node writes to the shared directory. On the node, the hidden command
// `evalplan __run-job SPECFILE` performs the run with the normal runner (plan.RunRemote).
//
// It imports plan and plan/config; plan never imports it (cmd/evalplan wires it in).
package slurm
