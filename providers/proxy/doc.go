// Package proxy is evalplan's local OpenAI-compatible endpoint for harnesses that run
// outside the process — NeMo Evaluator containers today. A harness is given the proxy's
// URL and a token of its own instead of the model endpoint's URL and key; behind the proxy
// every request goes through the same request stack as a native run (an openai.Doer:
// response cache, retries, the endpoint's shared limiter, the real URL and key added on the
// way out), is counted through plan.Progress and is journaled, one JSON line per request.
//
// It owns the journal's line format (Entry). It must not import the runners that use it.
package proxy
