// Package sim is evalplan-sim's OpenAI-compatible simulated model server, used by tests,
// benchmarks and demos as a stand-in for a model (never for evalplan's own code).
//
// It serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions (streamed as
// server-sent events when the request sets "stream"), GET /health and GET /metrics
// (Prometheus text: requests by route and status code, injected faults, in-flight and
// queued requests, the highest concurrency seen). Latency, jitter, capacity (concurrent
// slots; excess requests queue), a KV cache past which requests are preempted and slow
// down (served under vLLM's metric names), per-model accuracy, an API key and injected faults (429
// with Retry-After, 500, hangs, malformed JSON, dropped connections, 200s without an answer)
// are configurable.
//
// Given dataset files (GSM8K, MATH-500 and ARC JSONL, MMLU CSV) it recognises a question in
// a prompt — the whole prompt, one of its blank-line-separated paragraphs, a run of them,
// or a few-shot "Question: Q\nAnswer:" block — and answers it correctly when
// hash(seed, model, id) < accuracy(model), in wordings chosen by another hash ("#### 18",
// "The answer is $18.", "**Answer: B**", "answer: b", prose with several numbers), so that
// scoring is exercised, not echoed. Other prompts get UnknownReply.
//
// In a test:
//
//	cfg := sim.DefaultConfig()
//	cfg.Datasets = []string{"testdata/gsm8k.jsonl"}
//	s, err := sim.New(cfg)
//	...
//	ts := httptest.NewServer(s)
//	defer ts.Close()
//	defer s.Close() // runs first: releases hung requests
//	// base URL: ts.URL + "/v1"; s.Count(sim.RouteChat), s.Expected(model, id) to cross-check.
//
// From the command line (flags mirror Config; see evalplan-sim -h):
//
//	evalplan-sim -addr 127.0.0.1:0 -url-file /tmp/sim.url -models a,b -accuracy 0.7 \
//	    -accuracy b=0.9 -dataset gsm8k_test.jsonl -latency 50ms -capacity 8 -fault-429 0.05
//
// This package imports only the standard library.
package sim
