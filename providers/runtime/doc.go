// Package runtime prepares the managed Python environments of the venv harness runtime:
// one virtual environment per package set, under <cache>/runtimes/, holding NVIDIA's
// evaluator packages (nemo-evaluator and a harness package) so that a container task runs
// without Docker. It knows Python, pip and uv; it must not import plan/ or the runners.
package runtime
