package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestModelsRoute(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"default", DefaultConfig(), `{"object":"list","data":[{"id":"sim-model","object":"model","created":0,"owned_by":"evalplan-sim"}]}`},
		{"two models with max_model_len", Config{Models: []string{"a", "b"}, MaxModelLen: 4096},
			`{"object":"list","data":[{"id":"a","object":"model","created":0,"owned_by":"evalplan-sim","max_model_len":4096},{"id":"b","object":"model","created":0,"owned_by":"evalplan-sim","max_model_len":4096}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := start(t, tt.cfg)
			resp, body := mustDo(t, ts.Client(), "GET", ts.URL+"/v1/models", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if diff := cmp.Diff(tt.want, strings.TrimSpace(string(body))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			ts.Close() // waits for the handler, so its count is recorded
			if got := s.Count(RouteModels); got != 1 {
				t.Errorf("Count(models) = %d, want 1", got)
			}
		})
	}
}

// chatResult is the shape of a chat completion checked by the tests.
type chatResult struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage usage `json:"usage"`
}

func TestGenerationRoutes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Datasets = []string{gsmFile}
	s, ts := start(t, cfg)
	tests := []struct {
		name       string
		route      string
		body       any
		wantObject string
		wantText   string
		wantFinish string
		wantUsage  usage
	}{
		{"chat unknown prompt", RouteChat, chatBody("sim-model", "hello there"), "chat.completion", UnknownReply, "stop",
			usage{PromptTokens: 5, CompletionTokens: 6, TotalTokens: 11}},
		{"completions unknown prompt", RouteCompletions, completionBody("sim-model", "hello there"), "text_completion", UnknownReply, "stop",
			usage{PromptTokens: 2, CompletionTokens: 6, TotalTokens: 8}},
		{"completions prompt array", RouteCompletions, map[string]any{"model": "sim-model", "prompt": []string{"hi"}}, "text_completion", UnknownReply, "stop",
			usage{PromptTokens: 1, CompletionTokens: 6, TotalTokens: 7}},
		{"chat content parts", RouteChat, map[string]any{"model": "sim-model", "messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "hi you"}}}}},
			"chat.completion", UnknownReply, "stop", usage{PromptTokens: 2, CompletionTokens: 6, TotalTokens: 8}},
		{"max_tokens truncates", RouteChat, map[string]any{"model": "sim-model", "max_tokens": 2, "messages": []any{map[string]any{"role": "user", "content": "x"}}},
			"chat.completion", "I am", "length", usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
		{"stop string", RouteCompletions, map[string]any{"model": "sim-model", "prompt": "x", "stop": []string{"sure"}},
			"text_completion", "I am not ", "stop", usage{PromptTokens: 1, CompletionTokens: 3, TotalTokens: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := mustDo(t, ts.Client(), "POST", ts.URL+tt.route, tt.body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got chatResult
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if got.ID == "" || got.Model != "sim-model" || got.Object != tt.wantObject || len(got.Choices) != 1 {
				t.Fatalf("bad envelope: %s", body)
			}
			text := got.Choices[0].Text
			if tt.route == RouteChat {
				text = got.Choices[0].Message.Content
				if r := got.Choices[0].Message.Role; r != "assistant" {
					t.Errorf("role %q", r)
				}
			}
			if diff := cmp.Diff(tt.wantText, text); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			if got.Choices[0].FinishReason != tt.wantFinish {
				t.Errorf("finish_reason %q, want %q", got.Choices[0].FinishReason, tt.wantFinish)
			}
			if diff := cmp.Diff(tt.wantUsage, got.Usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
	ts.Close()
	if got := s.Count(RouteChat) + s.Count(RouteCompletions); got != int64(len(tests)) {
		t.Errorf("generation count %d, want %d", got, len(tests))
	}
}

func TestErrors(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxModelLen = 10
	s, ts := start(t, cfg)
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantCode           string // error.code, "" for null
	}{
		{"unknown model chat", "POST", RouteChat, chatBody("gpt-9", "hi"), 404, "model_not_found"},
		{"unknown model completions", "POST", RouteCompletions, completionBody("", "hi"), 404, "model_not_found"},
		{"invalid JSON", "POST", RouteChat, "{", 400, ""},
		{"no messages", "POST", RouteChat, map[string]any{"model": "sim-model"}, 400, ""},
		{"no prompt", "POST", RouteCompletions, map[string]any{"model": "sim-model"}, 400, ""},
		{"context too long", "POST", RouteCompletions, map[string]any{"model": "sim-model", "prompt": "a b c", "max_tokens": 8}, 400, ""},
		{"GET chat", "GET", RouteChat, nil, 405, "method_not_allowed"},
		{"POST models", "POST", RouteModels, nil, 405, "method_not_allowed"},
		{"unknown route", "GET", "/v2/x", nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := mustDo(t, ts.Client(), tt.method, ts.URL+tt.path, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
				t.Fatalf("not an OpenAI error: %s (%v)", body, err)
			}
			code := ""
			if e.Error.Code != nil {
				code = *e.Error.Code
			}
			if code != tt.wantCode {
				t.Errorf("error.code %q, want %q", code, tt.wantCode)
			}
		})
	}
	ts.Close()
	if got := s.CountCode(RouteChat, 404); got != 1 {
		t.Errorf("CountCode(chat, 404) = %d, want 1", got)
	}
	if got := s.CountCode("/v2/x", 404); got != 1 {
		t.Errorf("CountCode(other, 404) = %d, want 1", got)
	}
}

func TestAPIKey(t *testing.T) {
	cfg := DefaultConfig()
	cfg.APIKey = "secret"
	s, ts := start(t, cfg)
	tests := []struct {
		name, method, path string
		body               any
		auth               string
		want               int
	}{
		{"models without key", "GET", RouteModels, nil, "", 401},
		{"models wrong key", "GET", RouteModels, nil, "Bearer nope", 401},
		{"models not bearer", "GET", RouteModels, nil, "secret", 401},
		{"models with key", "GET", RouteModels, nil, "Bearer secret", 200},
		{"chat without key", "POST", RouteChat, chatBody("sim-model", "hi"), "", 401},
		{"chat with key", "POST", RouteChat, chatBody("sim-model", "hi"), "Bearer secret", 200},
		{"completions without key", "POST", RouteCompletions, completionBody("sim-model", "hi"), "", 401},
		{"unknown v1 route without key", "GET", "/v1/nothing", nil, "", 401},
		{"health is open", "GET", RouteHealth, nil, "", 200},
		{"metrics is open", "GET", RouteMetrics, nil, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.auth != "" {
				hdr = []string{"Authorization", tt.auth}
			}
			resp, body := mustDo(t, ts.Client(), tt.method, ts.URL+tt.path, tt.body, hdr...)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
		})
	}
	ts.Close()
	if got := s.CountCode(RouteChat, 401); got != 1 {
		t.Errorf("CountCode(chat, 401) = %d, want 1", got)
	}
}

// sseEvents reads "data: " lines of a server-sent event stream.
func sseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("unexpected SSE line %q", line)
		}
		out = append(out, data)
	}
	return out
}

func TestStreaming(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Datasets = allFixtures
	s, ts := start(t, cfg)
	q := fixtureQuestions(t)
	for _, route := range []string{RouteChat, RouteCompletions} {
		for _, fq := range q {
			t.Run(route+"/"+fq.id, func(t *testing.T) {
				body := chatBody("sim-model", fq.prompt)
				if route == RouteCompletions {
					body = completionBody("sim-model", fq.prompt)
				}
				body["stream"] = true
				resp, data := mustDo(t, ts.Client(), "POST", ts.URL+route, body)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
					t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				events := sseEvents(t, data)
				if len(events) < 3 || events[len(events)-1] != "[DONE]" {
					t.Fatalf("want content chunks, a final chunk and [DONE], got %q", events)
				}
				var text strings.Builder
				var last chatResult
				for i, ev := range events[:len(events)-1] {
					var c struct {
						Object  string `json:"object"`
						Choices []struct {
							Delta struct {
								Role    string `json:"role"`
								Content string `json:"content"`
							} `json:"delta"`
							Text         string  `json:"text"`
							FinishReason *string `json:"finish_reason"`
						} `json:"choices"`
						Usage *usage `json:"usage"`
					}
					if err := json.Unmarshal([]byte(ev), &c); err != nil {
						t.Fatalf("chunk %d %q: %v", i, ev, err)
					}
					final := i == len(events)-2
					if len(c.Choices) != 1 || (c.Choices[0].FinishReason != nil) != final || (c.Usage != nil) != final {
						t.Fatalf("chunk %d: finish_reason/usage only on the final chunk: %s", i, ev)
					}
					if route == RouteChat {
						if c.Object != "chat.completion.chunk" || (i == 0) != (c.Choices[0].Delta.Role == "assistant") {
							t.Fatalf("chunk %d: bad chat chunk %s", i, ev)
						}
						text.WriteString(c.Choices[0].Delta.Content)
					} else {
						text.WriteString(c.Choices[0].Text)
					}
					if final {
						json.Unmarshal([]byte(ev), &last)
					}
				}
				a, _ := s.Answer("sim-model", fq.id)
				if diff := cmp.Diff(a.Text, text.String()); diff != "" {
					t.Errorf("streamed text (-want +got):\n%s", diff)
				}
				if last.Choices[0].FinishReason != "stop" || last.Usage.CompletionTokens != countWords(a.Text) || last.Usage.TotalTokens != last.Usage.PromptTokens+last.Usage.CompletionTokens {
					t.Errorf("final chunk %+v", last)
				}
			})
		}
	}
}

func TestCapacityQueues(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Capacity = 2
	cfg.Latency = 20 * time.Millisecond
	s, ts := start(t, cfg)
	const n = 10
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			resp, _, err := do(t, context.Background(), ts.Client(), "POST", ts.URL+RouteChat, chatBody("sim-model", "hi"))
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	ts.Close()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: status %d", i, c)
		}
	}
	got := [4]int64{s.CountCode(RouteChat, 200), s.Inflight(), s.Queued(), min(s.MaxInflight(), 3)}
	if got[3] < 1 || got[3] > 2 {
		t.Errorf("max_inflight %d, want 1 or 2", s.MaxInflight())
	}
	got[3] = 0
	if diff := cmp.Diff([4]int64{n, 0, 0, 0}, got); diff != "" {
		t.Errorf("[ok, inflight, queued, -] (-want +got):\n%s", diff)
	}
}

// TestQueueWaitsForSlot checks queueing without timing: a hung-in-latency request holds the
// only slot, so a second request must queue.
func TestQueueWaitsForSlot(t *testing.T) {
	s, err := New(Config{Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	if _, ok := s.acquire(ctx1); !ok {
		t.Fatal("first acquire failed")
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	acquired := make(chan bool)
	try := func(ctx context.Context) {
		_, ok := s.acquire(ctx)
		acquired <- ok
	}
	go try(ctx2)
	cancel2()
	if <-acquired {
		t.Fatal("second acquire succeeded while the only slot was held")
	}
	go try(context.Background())
	s.release()
	if !<-acquired {
		t.Fatal("third acquire failed after release")
	}
	s.release()
	cancel1()
	if got := [3]int64{s.Inflight(), s.Queued(), s.MaxInflight()}; got != [3]int64{0, 0, 1} {
		t.Errorf("[inflight, queued, max] = %v, want [0 0 1]", got)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		kind   string
		stream bool
		check  func(t *testing.T, resp *http.Response, body []byte, err error)
		code   int // as counted
	}{
		{"429", Faults{Rate429: 1, RetryAfter: 7}, Fault429, false, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || !json.Valid(body) {
				t.Errorf("want 429 with Retry-After 7 and a JSON error, got %v %v %s", resp, err, body)
			}
		}, 429},
		{"500", Faults{Rate500: 1}, Fault500, false, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 500 || !json.Valid(body) {
				t.Errorf("want 500 with a JSON error, got %v %v %s", resp, err, body)
			}
		}, 500},
		{"malformed", Faults{RateMalformed: 1}, FaultMalformed, false, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || json.Valid(body) {
				t.Errorf("want 200 with broken JSON, got %v %v %s", resp, err, body)
			}
		}, 200},
		{"malformed stream", Faults{RateMalformed: 1}, FaultMalformed, true, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || bytes.Contains(body, []byte("[DONE]")) {
				t.Errorf("want 200 with a broken event and no [DONE], got %v %v %s", resp, err, body)
			}
		}, 200},
		{"empty", Faults{RateEmpty: 1}, FaultEmpty, false, func(t *testing.T, resp *http.Response, body []byte, err error) {
			want := `"choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"stop"}]`
			if err != nil || resp.StatusCode != 200 || !json.Valid(body) || !bytes.Contains(body, []byte(want)) {
				t.Errorf("want 200 with valid JSON whose content is null, got %v %v %s", resp, err, body)
			}
		}, 200},
		{"empty stream", Faults{RateEmpty: 1}, FaultEmpty, true, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || !bytes.Contains(body, []byte("[DONE]")) || bytes.Contains(body, []byte(`"content"`)) {
				t.Errorf("want 200 with complete events and no content, got %v %v %s", resp, err, body)
			}
		}, 200},
		{"drop", Faults{RateDrop: 1}, FaultDrop, false, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Errorf("want a transport error, got %d %s", resp.StatusCode, body)
			}
		}, codeNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Faults = tt.faults
			s, ts := start(t, cfg)
			body := chatBody("sim-model", "hi")
			body["stream"] = tt.stream
			resp, data, err := do(t, context.Background(), ts.Client(), "POST", ts.URL+RouteChat, body)
			tt.check(t, resp, data, err)
			ts.Close() // waits for the handler, so its count is recorded
			if got := [2]int64{s.FaultCount(tt.kind), s.CountCode(RouteChat, tt.code)}; got != [2]int64{1, 1} {
				t.Errorf("[FaultCount, CountCode(%d)] = %v, want [1 1]", tt.code, got)
			}
		})
	}
}

func TestHang(t *testing.T) {
	tests := []struct {
		name    string
		release func(s *Server, cancel context.CancelFunc)
		wantErr error
	}{
		{"client goes away", func(_ *Server, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"server closes", func(s *Server, _ context.CancelFunc) { s.Close() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Faults.RateHang = 1
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			hung := make(chan struct{})
			s.hangHook = func() { close(hung) }
			ts := httptestServer(t, s)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, _, err := do(t, ctx, ts.Client(), "POST", ts.URL+RouteChat, chatBody("sim-model", "hi"))
				errc <- err
			}()
			<-hung
			tt.release(s, cancel)
			err = <-errc
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("client error %v, want %v", err, tt.wantErr)
			}
			ts.Close()
			if got := [2]int64{s.FaultCount(FaultHang), s.CountCode(RouteChat, codeNone)}; got != [2]int64{1, 1} {
				t.Errorf("[FaultCount(hang), CountCode(none)] = %v, want [1 1]", got)
			}
		})
	}
}

func TestFaultFirst(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = Faults{Rate500: 1, First: 3}
	s, ts := start(t, cfg)
	var got []int
	for range 6 {
		resp, _ := mustDo(t, ts.Client(), "POST", ts.URL+RouteCompletions, completionBody("sim-model", "hi"))
		got = append(got, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{500, 500, 500, 200, 200, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	ts.Close()
	if n := s.FaultCount(Fault500); n != 3 {
		t.Errorf("FaultCount(500) = %d, want 3", n)
	}
}

func TestFaultRates(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = Faults{Rate429: 0.1, Rate500: 0.2, RateHang: 0.05, RateMalformed: 0.05, RateDrop: 0.05, RateEmpty: 0.05}
	s1, _ := New(cfg)
	s2, _ := New(cfg)
	cfg.Seed = 1
	s3, _ := New(cfg)
	const n = 20000
	var counts [numFaults]int
	same, differ := true, false
	for seq := int64(1); seq <= n; seq++ {
		f := s1.pickFault(seq)
		counts[f]++
		same = same && f == s2.pickFault(seq)
		differ = differ || f != s3.pickFault(seq)
	}
	if !same || !differ {
		t.Errorf("same seed gives the same faults: %v; another seed differs: %v", same, differ)
	}
	want := [numFaults]float64{faultNone: 0.5, f429: 0.1, f500: 0.2, fHang: 0.05, fMalformed: 0.05, fDrop: 0.05, fEmpty: 0.05}
	for f, c := range counts {
		if got := float64(c) / n; got < want[f]-0.015 || got > want[f]+0.015 {
			t.Errorf("fault %q: rate %.3f, want %.2f", faultNames[f], got, want[f])
		}
	}
}

func TestMetricsText(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = Faults{Rate429: 1, First: 1, RetryAfter: 1}
	s, ts := start(t, cfg)
	c := ts.Client()
	mustDo(t, c, "GET", ts.URL+RouteModels, nil)
	mustDo(t, c, "POST", ts.URL+RouteChat, chatBody("sim-model", "hi")) // 429
	mustDo(t, c, "POST", ts.URL+RouteChat, chatBody("sim-model", "hi"))
	mustDo(t, c, "POST", ts.URL+RouteCompletions, completionBody("sim-model", "hi"))
	mustDo(t, c, "GET", ts.URL+RouteHealth, nil)
	resp, body := mustDo(t, c, "GET", ts.URL+RouteMetrics, nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	var samples []string
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, "#") {
			samples = append(samples, strings.TrimSpace(line))
		}
	}
	want := []string{
		`evalplan_sim_requests_total{route="/v1/chat/completions",code="200"} 1`,
		`evalplan_sim_requests_total{route="/v1/chat/completions",code="429"} 1`,
		`evalplan_sim_requests_total{route="/v1/completions",code="200"} 1`,
		`evalplan_sim_requests_total{route="/v1/models",code="200"} 1`,
		`evalplan_sim_requests_total{route="/health",code="200"} 1`,
		`evalplan_sim_faults_total{kind="429"} 1`,
		`evalplan_sim_faults_total{kind="500"} 0`,
		`evalplan_sim_faults_total{kind="hang"} 0`,
		`evalplan_sim_faults_total{kind="malformed"} 0`,
		`evalplan_sim_faults_total{kind="drop"} 0`,
		`evalplan_sim_faults_total{kind="empty"} 0`,
		`evalplan_sim_streamed_total 0`,
		`evalplan_sim_inflight 0`,
		`evalplan_sim_queued 0`,
		`evalplan_sim_max_inflight 1`,
	}
	if diff := cmp.Diff(want, samples); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	ts.Close()
	if got := [3]int64{s.Count(RouteChat), s.Count(RouteMetrics), s.Count(RouteOther)}; got != [3]int64{2, 1, 0} {
		t.Errorf("[chat, metrics, other] counts = %v, want [2 1 0]", got)
	}
}

// TestEmptyAnswerHasContent checks that an answer cut to nothing by a stop sequence is sent
// as content "" (an answer a client scores), not as a missing content (no answer at all).
func TestEmptyAnswerHasContent(t *testing.T) {
	tests := []struct {
		name   string
		stream bool
		want   string
	}{
		{"reply", false, `"message":{"role":"assistant","content":""}`},
		{"stream", true, `"delta":{"role":"assistant","content":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := start(t, DefaultConfig())
			body := chatBody("sim-model", "hi")
			body["stop"] = []string{UnknownReply[:1]}
			body["stream"] = tt.stream
			resp, data, err := do(t, context.Background(), ts.Client(), "POST", ts.URL+RouteChat, body)
			if err != nil || resp.StatusCode != 200 || !bytes.Contains(data, []byte(tt.want)) {
				t.Errorf("want 200 with %s, got %v %v %s", tt.want, resp, err, data)
			}
		})
	}
}

// TestKVCache: past the KV cache a request is preempted and slowed quadratically, and
// /metrics serves vLLM's names.
func TestKVCache(t *testing.T) {
	s, err := New(Config{KVCache: 2, Capacity: 4})
	if err != nil {
		t.Fatal(err)
	}
	const d = 100 * time.Millisecond
	tests := []struct {
		running int64
		want    time.Duration
	}{{1, d}, {2, d}, {3, d * 9 / 4}, {4, 4 * d}}
	for _, tt := range tests {
		if got := s.preempt(d, tt.running); got != tt.want {
			t.Errorf("running %d: latency %v, want %v", tt.running, got, tt.want)
		}
	}
	if got := s.Preemptions(); got != 2 {
		t.Errorf("preemptions %d, want 2", got)
	}
	for range 3 {
		if _, ok := s.acquire(context.Background()); !ok {
			t.Fatal("acquire failed")
		}
	}
	var b bytes.Buffer
	s.appendMetrics(&b)
	for _, want := range []string{
		`vllm:num_requests_running{model_name="sim-model"} 3`,
		`vllm:num_requests_waiting{model_name="sim-model"} 0`,
		`vllm:kv_cache_usage_perc{model_name="sim-model"} 1`,
		`vllm:num_preemptions_total{model_name="sim-model"} 2`,
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}
