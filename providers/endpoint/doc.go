// Package endpoint is evalplan's endpoint provider: it probes model endpoints
// (GET {url}/models) and derives their fingerprints for plan.Endpoints. Managed vLLM
// endpoints (start, health, stop) will live here too.
//
// It imports plan, plan/config and providers/openai; never cmd/ or other providers.
package endpoint
