package config

import "github.com/hashicorp/hcl/v2"

// Harness runtimes of container tasks (the runtime attribute of suite and benchmark blocks).
const (
	// RuntimeDocker runs the harness in its catalog image, pinned by digest.
	RuntimeDocker = "docker"
	// RuntimeVenv runs the harness's packages in a managed Python environment.
	RuntimeVenv = "venv"
)

// runtime decodes a runtime attribute: "docker", "venv", or "" when absent.
func (l *loader) runtime(a *hcl.Attribute) string {
	v, ok := l.str(a)
	if !ok {
		return ""
	}
	if v != RuntimeDocker && v != RuntimeVenv {
		l.errorf(a.Expr.Range().Ptr(), "Invalid runtime",
			"runtime must be \"docker\" (the harness's catalog image) or \"venv\" (its Python packages in an environment evalplan manages), not %q.", v)
		return ""
	}
	return v
}

// RunRuntime is the harness runtime of a suite's benchmark: the benchmark block's, else the
// suite's, else RuntimeDocker.
func RunRuntime(s *Suite, ov *Override) string {
	rt, _ := RunRuntimeWhy(s, ov)
	return rt
}

// RunRuntimeWhy is RunRuntime with the reason for it, as the plan shows it: the benchmark
// block's or the suite's runtime attribute, or the default.
func RunRuntimeWhy(s *Suite, ov *Override) (runtime, why string) {
	switch {
	case ov != nil && ov.Runtime != "":
		return ov.Runtime, "benchmark \"" + ov.Name + "\" sets runtime = \"" + ov.Runtime + "\""
	case s != nil && s.Runtime != "":
		return s.Runtime, "suite \"" + s.Name + "\" sets runtime = \"" + s.Runtime + "\""
	}
	return RuntimeDocker, "the default"
}
