package config

import "github.com/zclconf/go-cty/cty/function"

// Functions returns the functions of expressions evaluated outside Load, such as a task
// block's per-record prompt, target and choices: go-cty's stdlib set plus file() (paths
// relative to dir), sha256() and env(). env() sees an empty environment there and always
// returns "", so that a run's prompts depend on nothing but its configuration and records.
func Functions(dir string) map[string]function.Function {
	return functions(dir, nil)
}
