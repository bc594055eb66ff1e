// Package addrs owns evalplan's addresses: the names of every unit of work and every block a
// plan, the state, the graph and the CLI speak of.
//
//	endpoint.qwen
//	dataset.mine
//	suite.quick.run["native.gsm8k"]["qwen"]
//	exporter.mlflow.team
//	exporter.mlflow.team.export[suite.quick.run["native.gsm8k"]["qwen"]]
//	check.gsm8k_floor
//	output.scores
//
// Each address type has a String method and a Parse function that round-trip; no other
// package builds or splits an address by hand. Target patterns (-target, -replace) select an
// address and everything it encloses; see Match.
//
// The package imports nothing of evalplan, so every other package may use it.
package addrs
