package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkChatCompletions measures requests/s of an in-process server with zero latency,
// driven by parallel keep-alive clients sending a recognised GSM8K prompt.
func BenchmarkChatCompletions(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Datasets = allFixtures
	s, ts := start(b, cfg)
	q := fixtureQuestions(b)[0]
	body, err := json.Marshal(chatBody("sim-model", q.prompt))
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := ts.URL + RouteChat
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	b.StopTimer()
	if got := s.CountCode(RouteChat, 200); got < int64(b.N) {
		b.Errorf("served %d, want at least %d", got, b.N)
	}
}
