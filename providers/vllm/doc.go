// Package vllm is evalplan's managed-endpoint provider (plan.Services): it starts the model
// server of an endpoint with a vllm, sglang or nim block when the first run needs it, waits
// until it is ready, and stops it after the last run (the engine reference-counts), unless
// keep_running. What differs between vLLM, SGLang and NVIDIA NIM (arguments, variables,
// image, health and metrics paths, result flags) is one implementation each of the kind
// interface (kinds.go); the rest is shared.
//
// Two runtimes:
//   - "process": the block's command (any OpenAI-compatible server), or
//     `vllm serve MODEL --host 127.0.0.1 --port P ...` (see ServeArgs), in its own session
//     (setsid) so that stopping it stops the whole process tree.
//   - "docker": the block's image (default DefaultImage) with the host network, the selected
//     GPUs, a larger /dev/shm and the Hugging Face cache mounted; the container is removed on
//     stop.
//
// Readiness is the kind's health path (GET /health; NIM: GET /v1/health/ready) answering
// 200, then GET /v1/models listing the model, within start_timeout. Server output goes to
// <output_dir>/_services/<endpoint>.log. Stopping is SIGTERM, then SIGKILL after StopTimeout. A server's launch is recorded in
// <output_dir>/_services/<endpoint>.json, so that a later apply reuses a server left running
// (keep_running, or a crash) when its launch is the same, and stops it otherwise.
//
// The package also decides a managed endpoint's fingerprint (plan.ServiceFingerprinter): the
// server image's digest and the result-affecting server arguments (ResultArgs).
//
// Settings the user leaves unset (tensor_parallel_size, gpu_memory_utilization,
// max_model_len, max_num_seqs) are derived from the model's config.json and the GPUs (Derive;
// the gpu block's declared inventory, else NVML) and shown in the plan (plan.ServicePlanner).
// Status, StartKept and StopKept serve `evalplan endpoint`: a kept server outlives applies.
//
// It imports plan, plan/config, providers/container and providers/gpu; never cmd/.
package vllm
