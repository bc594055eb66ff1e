// Package scaffold writes a new eval.hcl from a user's answers: the file `evalplan init`
// creates, interactively or from flags.
//
// Answers holds what the init wizard asks (the endpoint, the benchmarks, run parameters,
// exporters, a check floor). Resolve validates them against the benchmark catalog, reporting
// every problem as a FieldError named after the answer's key (which is also the init flag's
// name), and fills in what is derived. Generate renders the answers with hclwrite: every
// user-supplied value becomes a token through hclwrite's value encoders, never text pasted
// into HCL source, so any string round-trips exactly.
//
// It imports schema (the catalog) and no other evalplan package; it never loads a
// configuration (the caller validates the written file with plan/config).
package scaffold
