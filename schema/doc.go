// Package schema owns the eval.hcl language: the block and attribute schemas, the embedded
// benchmark catalog (NeMo Evaluator container tasks plus evalplan's native tasks), the suite
// presets and categories, and the JSON that `evalplan schema` prints.
//
// The catalog is generated: catalog_data.json is written by internal/gencatalog from NeMo
// Evaluator's catalog.json and suites.yaml (`go generate ./schema`, which expects the shared
// data folder beside the repository) and embedded with go:embed, so a build needs nothing but
// the repository. The native tasks are Go values in native.go. See docs/catalog.md.
//
// Package schema imports no other evalplan package: plan/ and providers/ build on it.
package schema
