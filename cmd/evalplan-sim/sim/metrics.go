package sim

import (
	"bytes"
	"strconv"
	"sync/atomic"
)

// Routes, as labelled in metrics.
const (
	RouteChat        = "/v1/chat/completions"
	RouteCompletions = "/v1/completions"
	RouteModels      = "/v1/models"
	RouteHealth      = "/health"
	RouteMetrics     = "/metrics"
	// RouteModelInfo is SGLang's model information (FlavorSGLang).
	RouteModelInfo = "/get_model_info"
	// RouteNIMReady and RouteNIMLive are NIM's health routes, RouteNIMMetrics its metrics
	// (FlavorNIM).
	RouteNIMReady   = "/v1/health/ready"
	RouteNIMLive    = "/v1/health/live"
	RouteNIMMetrics = "/v1/metrics"
	// RouteOther labels requests to any other path.
	RouteOther = "other"
)

// route indexes.
const (
	rChat = iota
	rCompletions
	rModels
	rHealth
	rMetrics
	rOther
	numRoutes
)

var routeNames = [numRoutes]string{RouteChat, RouteCompletions, RouteModels, RouteHealth, RouteMetrics, RouteOther}

// codeNone records a request that got no HTTP response (dropped, hung, client gone).
const codeNone = 0

// codeCounted marks a request the handler counted itself (a hijacked connection, which
// httptest.Server.Close and http.Server.Shutdown do not wait for).
const codeCounted = -1

// statusCodes are the codes counted individually; others count under "other".
var statusCodes = [...]int{200, 400, 401, 404, 405, 413, 429, 500, 503, codeNone}

const numCodes = len(statusCodes) + 1

// Fault kinds, as labelled in metrics.
const (
	Fault429       = "429"
	Fault500       = "500"
	FaultHang      = "hang"
	FaultMalformed = "malformed"
	FaultDrop      = "drop"
	FaultEmpty     = "empty"
)

// fault indexes; faultNone means no fault.
const (
	faultNone = iota
	f429
	f500
	fHang
	fMalformed
	fDrop
	fEmpty
	numFaults
)

var faultNames = [numFaults]string{"", Fault429, Fault500, FaultHang, FaultMalformed, FaultDrop, FaultEmpty}

// metrics are the server's counters.
type metrics struct {
	requests    [numRoutes][numCodes]atomic.Int64
	faults      [numFaults]atomic.Int64
	inflight    atomic.Int64
	queued      atomic.Int64
	maxInflight atomic.Int64
	maxQueued   atomic.Int64
	preemptions atomic.Int64
	streamed    atomic.Int64
}

// raise sets v to n when n is larger.
func raise(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}

func routeIndex(path string) int {
	switch path {
	case RouteChat:
		return rChat
	case RouteCompletions:
		return rCompletions
	case RouteModels:
		return rModels
	case RouteHealth:
		return rHealth
	case RouteMetrics:
		return rMetrics
	}
	return rOther
}

func codeIndex(code int) int {
	for i, c := range statusCodes {
		if c == code {
			return i
		}
	}
	return len(statusCodes)
}

func codeLabel(i int) string {
	switch {
	case i == len(statusCodes):
		return "other"
	case statusCodes[i] == codeNone:
		return "none"
	}
	return strconv.Itoa(statusCodes[i])
}

// enter marks a request as processing, records the highest concurrency and returns the
// number processing now.
func (m *metrics) enter() int64 {
	n := m.inflight.Add(1)
	raise(&m.maxInflight, n)
	return n
}

// Count returns the number of requests answered on route (a path such as RouteChat, or
// RouteOther), whatever their status.
func (s *Server) Count(route string) int64 {
	var n int64
	r := routeIndex(route)
	for i := range s.m.requests[r] {
		n += s.m.requests[r][i].Load()
	}
	return n
}

// CountCode returns the number of requests on route answered with status code; code 0
// counts requests that got no response (dropped or hung).
func (s *Server) CountCode(route string, code int) int64 {
	return s.m.requests[routeIndex(route)][codeIndex(code)].Load()
}

// FaultCount returns how many faults of kind (Fault429, FaultHang, ...) were injected.
func (s *Server) FaultCount(kind string) int64 {
	for i, name := range faultNames {
		if i != faultNone && name == kind {
			return s.m.faults[i].Load()
		}
	}
	return 0
}

// Inflight returns the number of generation requests being processed now.
func (s *Server) Inflight() int64 { return s.m.inflight.Load() }

// Queued returns the number of generation requests waiting for a slot now.
func (s *Server) Queued() int64 { return s.m.queued.Load() }

// MaxInflight returns the highest number of generation requests processed at once.
func (s *Server) MaxInflight() int64 { return s.m.maxInflight.Load() }

// MaxQueued returns the highest number of generation requests that waited for a slot at
// once.
func (s *Server) MaxQueued() int64 { return s.m.maxQueued.Load() }

// Preemptions returns how many requests started past the KV cache (Config.KVCache).
func (s *Server) Preemptions() int64 { return s.m.preemptions.Load() }

// appendMetrics writes the Prometheus text exposition of the counters.
func (s *Server) appendMetrics(b *bytes.Buffer) {
	b.WriteString("# HELP evalplan_sim_requests_total Requests answered, by route and status code (none: no response).\n")
	b.WriteString("# TYPE evalplan_sim_requests_total counter\n")
	for r := range numRoutes {
		for c := range numCodes {
			n := s.m.requests[r][c].Load()
			if n == 0 {
				continue
			}
			b.WriteString(`evalplan_sim_requests_total{route="`)
			b.WriteString(routeNames[r])
			b.WriteString(`",code="`)
			b.WriteString(codeLabel(c))
			b.WriteString(`"} `)
			b.WriteString(strconv.FormatInt(n, 10))
			b.WriteByte('\n')
		}
	}
	b.WriteString("# HELP evalplan_sim_faults_total Faults injected, by kind.\n")
	b.WriteString("# TYPE evalplan_sim_faults_total counter\n")
	for f := faultNone + 1; f < numFaults; f++ {
		b.WriteString(`evalplan_sim_faults_total{kind="`)
		b.WriteString(faultNames[f])
		b.WriteString(`"} `)
		b.WriteString(strconv.FormatInt(s.m.faults[f].Load(), 10))
		b.WriteByte('\n')
	}
	b.WriteString("# HELP evalplan_sim_streamed_total Replies sent as server-sent events.\n")
	b.WriteString("# TYPE evalplan_sim_streamed_total counter\n")
	b.WriteString("evalplan_sim_streamed_total " + strconv.FormatInt(s.m.streamed.Load(), 10) + "\n")
	gauge := func(name, help string, v int64) {
		b.WriteString("# HELP " + name + " " + help + "\n")
		b.WriteString("# TYPE " + name + " gauge\n")
		b.WriteString(name + " " + strconv.FormatInt(v, 10) + "\n")
	}
	gauge("evalplan_sim_inflight", "Generation requests being processed.", s.m.inflight.Load())
	gauge("evalplan_sim_queued", "Generation requests waiting for a slot.", s.m.queued.Load())
	gauge("evalplan_sim_max_inflight", "Highest number of generation requests processed at once.", s.m.maxInflight.Load())
	if s.cfg.KVCache > 0 {
		s.appendKV(b)
	}
}

// kvNames are the names of the KV-cache model's gauges and counter in each flavor: running,
// waiting, cache usage, preemptions.
var kvNames = map[string][4]string{
	"":           {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:num_preemptions_total"},
	FlavorVLLM:   {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:num_preemptions_total"},
	FlavorSGLang: {"sglang:num_running_reqs", "sglang:num_queue_reqs", "sglang:token_usage", "sglang:num_retracted_reqs"},
	FlavorNIM:    {"num_requests_running", "num_requests_waiting", "gpu_cache_usage_perc", "num_preemptions_total"},
}

// appendKV writes the metrics of the KV-cache model under the flavor's names (kvNames).
func (s *Server) appendKV(b *bytes.Buffer) {
	running := s.m.inflight.Load()
	usage := min(1, float64(running)/float64(s.cfg.KVCache))
	label := `{model_name="` + s.cfg.Models[0] + `"} `
	n := kvNames[s.cfg.Flavor]
	b.WriteString("# TYPE " + n[0] + " gauge\n")
	b.WriteString(n[0] + label + strconv.FormatInt(running, 10) + "\n")
	b.WriteString("# TYPE " + n[1] + " gauge\n")
	b.WriteString(n[1] + label + strconv.FormatInt(s.m.queued.Load(), 10) + "\n")
	b.WriteString("# TYPE " + n[2] + " gauge\n")
	b.WriteString(n[2] + label + strconv.FormatFloat(usage, 'g', -1, 64) + "\n")
	b.WriteString("# TYPE " + n[3] + " counter\n")
	b.WriteString(n[3] + label + strconv.FormatInt(s.m.preemptions.Load(), 10) + "\n")
}

// Streamed reports how many replies were sent as server-sent events.
func (s *Server) Streamed() int64 { return s.m.streamed.Load() }
