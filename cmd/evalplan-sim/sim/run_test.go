package sim

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRegisterFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    func(c *Config)
		wantErr string
	}{
		{"defaults", nil, func(c *Config) {}, ""},
		{"everything", []string{
			"-addr", ":9000", "-url-file", "u", "-models", "a, b", "-latency", "50ms", "-jitter", "5ms",
			"-capacity", "4", "-accuracy", "0.5", "-accuracy", "b=0.9", "-dataset", "x.jsonl", "-dataset", "y.csv",
			"-seed", "7", "-max-model-len", "2048", "-api-key", "k", "-fault-429", "0.1", "-retry-after", "3",
			"-fault-500", "0.2", "-fault-hang", "0.01", "-fault-malformed", "0.02", "-fault-drop", "0.03", "-fault-empty", "0.04", "-fault-first", "10",
		}, func(c *Config) {
			*c = Config{
				Addr: ":9000", URLFile: "u", Models: []string{"a", "b"}, Latency: 50 * time.Millisecond,
				Jitter: 5 * time.Millisecond, Capacity: 4, Accuracy: 0.5, ModelAccuracy: map[string]float64{"b": 0.9},
				Datasets: []string{"x.jsonl", "y.csv"}, Seed: 7, MaxModelLen: 2048, APIKey: "k",
				Faults: Faults{Rate429: 0.1, RetryAfter: 3, Rate500: 0.2, RateHang: 0.01, RateMalformed: 0.02, RateDrop: 0.03, RateEmpty: 0.04, First: 10},
			}
		}, ""},
		{"accuracy out of range", []string{"-accuracy", "1.5"}, nil, "must be in [0,1]"},
		{"accuracy not a number", []string{"-accuracy", "m=x"}, nil, "parse accuracy"},
		{"no models", []string{"-models", " , "}, nil, "no model ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultConfig()
			fs := flag.NewFlagSet("sim", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			got.RegisterFlags(fs)
			err := fs.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(c *Config)
		wantErr string
	}{
		{"default is valid", func(c *Config) {}, ""},
		{"fault rates sum over 1", func(c *Config) { c.Faults.Rate429, c.Faults.Rate500 = 0.6, 0.6 }, "sum to 1.2"},
		{"negative rate", func(c *Config) { c.Faults.RateDrop = -0.1 }, "fault-drop must be in [0,1]"},
		{"model accuracy", func(c *Config) { c.ModelAccuracy = map[string]float64{"m": 2} }, "accuracy of m"},
		{"negative capacity", func(c *Config) { c.Capacity = -1 }, "capacity"},
		{"negative latency", func(c *Config) { c.Latency = -1 }, "latency"},
		{"empty model id", func(c *Config) { c.Models = []string{""} }, "model ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
			if _, nerr := New(c); (nerr == nil) != (err == nil) {
				t.Errorf("New error %v disagrees with Validate %v", nerr, err)
			}
		})
	}
}

// lineWriter hands each write to a channel.
type lineWriter struct {
	lines chan string
	n     atomic.Int32
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.n.Add(1)
	w.lines <- string(p)
	return len(p), nil
}

func TestListenAndServe(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URLFile = filepath.Join(t.TempDir(), "sim.url")
	cfg.Faults.RateHang = 1 // a hung request must not block shutdown
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hungNow := make(chan struct{})
	s.hangHook = func() { close(hungNow) }
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{lines: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, out) }()
	line := <-out.lines
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "evalplan-sim listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("stdout %q", line)
	}
	data, err := os.ReadFile(cfg.URLFile)
	if err != nil || string(data) != base+"/v1" {
		t.Fatalf("url file %q (%v), want %q", data, err, base+"/v1")
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, body := mustDo(t, client, "GET", base+"/health", nil)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("health: %d %s", resp.StatusCode, body)
	}
	hung := make(chan error, 1)
	go func() {
		_, _, err := do(t, context.Background(), client, "POST", base+"/v1/completions", completionBody("sim-model", "x"))
		hung <- err
	}()
	<-hungNow
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe: %v", err)
	}
	if err := <-hung; err == nil {
		t.Error("hung request got a response after shutdown")
	}
	if n := out.n.Load(); n != 1 {
		t.Errorf("%d writes to stdout, want 1", n)
	}
}

func TestRunErrors(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Addr = "256.0.0.1:0"
	if err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("bad address: %v", err)
	}
	cfg = DefaultConfig()
	cfg.URLFile = filepath.Join(t.TempDir(), "missing", "sim.url")
	if err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "url file") {
		t.Errorf("bad url file: %v", err)
	}
}
