package status

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMeterRate(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
	type obs struct {
		sec float64
		n   int64
	}
	type want struct {
		Rate float64
		OK   bool
	}
	tests := []struct {
		name   string
		window time.Duration
		obs    []obs
		want   want
	}{
		{"none", 0, nil, want{}},
		{"one observation", 0, []obs{{0, 5}}, want{}},
		{"same instant", 0, []obs{{0, 5}, {0, 9}}, want{}},
		{"two observations", 0, []obs{{0, 0}, {2, 10}}, want{5, true}},
		{"stalled", 0, []obs{{0, 10}, {2, 10}}, want{0, true}},
		{"older observation ignored", 0, []obs{{0, 0}, {2, 10}, {1, 100}}, want{5, true}},
		{"counter went back restarts", 0, []obs{{0, 50}, {2, 60}, {4, 2}, {6, 12}}, want{5, true}},
		// Window 10s at t=20: 0 and 5 are dropped, 10 is the newest at least 10s old.
		{"window slides", 10 * time.Second, []obs{{0, 0}, {5, 100}, {10, 110}, {15, 120}, {20, 130}}, want{2, true}},
		{"interval longer than window", time.Second, []obs{{0, 0}, {5, 10}, {10, 30}}, want{4, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Meter{Window: tt.window}
			for _, o := range tt.obs {
				m.Observe(at(o.sec), o.n)
			}
			var got want
			got.Rate, got.OK = m.Rate()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestETA(t *testing.T) {
	type want struct {
		ETA time.Duration
		OK  bool
	}
	tests := []struct {
		name      string
		remaining int64
		rate      float64
		want      want
	}{
		{"nothing left", 0, 0, want{0, true}},
		{"nothing left, negative", -3, 2, want{0, true}},
		{"exact", 30, 3, want{10 * time.Second, true}},
		{"rounds up", 4, 10, want{time.Second, true}},
		{"long", 36000, 2, want{5 * time.Hour, true}},
		{"no rate", 10, 0, want{0, false}},
		{"negative rate", 10, -1, want{0, false}},
		{"absurdly slow", 1 << 62, 1e-9, want{0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got want
			got.ETA, got.OK = ETA(tt.remaining, tt.rate)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ETA(%d, %g) (-want +got):\n%s", tt.remaining, tt.rate, diff)
			}
		})
	}
}
