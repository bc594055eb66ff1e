package gpu_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/evalplan/evalplan/providers/gpu"
	"github.com/evalplan/evalplan/providers/gpu/gputest"
	"github.com/google/go-cmp/cmp"
)

// TestPressureRule feeds readings of one 80 GiB GPU (81920 MiB) to a rule and checks each
// verdict.
func TestPressureRule(t *testing.T) {
	tests := []struct {
		name string
		rule gpu.PressureRule
		used []int // MiB, one reading each
		want []gpu.Verdict
	}{
		{
			name: "flat below the line",
			used: []int{70000, 70000, 70000, 70000},
			want: []gpu.Verdict{{}, {}, {}, {}},
		},
		{
			name: "at 97%",
			used: []int{70000, 79462, 79463},
			want: []gpu.Verdict{{}, {}, {Pressure: true, Reason: "GPU 0 at 97% memory"}},
		},
		{
			name: "rising fast enough is a trend",
			// +2000 MiB a reading: three rises, and 78000 + 3 × 2000 passes 79462.
			used: []int{72000, 74000, 76000, 78000},
			want: []gpu.Verdict{{}, {}, {}, {Pressure: true, Trend: true, Reason: "GPU 0 memory rising to 76.2 of 80.0 GiB"}},
		},
		{
			name: "rising slowly is not",
			used: []int{60000, 60100, 60200, 60300},
			want: []gpu.Verdict{{}, {}, {}, {}},
		},
		{
			name: "a fall breaks the trend",
			used: []int{72000, 74000, 73000, 78000},
			want: []gpu.Verdict{{}, {}, {}, {}},
		},
		{
			name: "own fraction",
			rule: gpu.PressureRule{Fraction: 0.5},
			used: []int{40959, 40960},
			want: []gpu.Verdict{{}, {Pressure: true, Reason: "GPU 0 at 50% memory"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []gpu.Verdict
			for _, u := range tt.used {
				got = append(got, tt.rule.Check([]gpu.Sample{{Index: 0, Name: "H100", MemoryUsedMiB: u, MemoryTotalMiB: 81920}}))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWatchRamp: a watch over a fake GPU whose memory ramps reports each reading, and
// pressure once the use reaches 97%; a sampler error is reported and the watch goes on;
// ErrNoNVML ends it.
func TestWatchRamp(t *testing.T) {
	ramp := &gputest.Ramp{
		Devices: []gpu.Sample{{Index: 0, Name: "H100", MemoryTotalMiB: 81920}, {Index: 1, Name: "H100", MemoryTotalMiB: 81920}},
		Used:    []int{40000, 60000, 80000},
	}
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type report struct {
		used     []int
		pressure bool
		reason   string
	}
	reports := make(chan report, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		gpu.Watch(ctx, gpu.WatchOptions{Sampler: ramp, Devices: []int{1}, PIDs: []int{42}, Tick: tick, Report: func(s []gpu.Sample, v gpu.Verdict, err error) {
			r := report{pressure: v.Pressure, reason: v.Reason}
			for _, x := range s {
				r.used = append(r.used, x.MemoryUsedMiB)
			}
			reports <- r
		}})
	}()
	var got []report
	for i := range 3 {
		if i > 0 {
			tick <- time.Now()
		}
		got = append(got, <-reports)
	}
	want := []report{{used: []int{40000}}, {used: []int{60000}}, {used: []int{80000}, pressure: true, reason: "GPU 1 at 97% memory"}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(report{})); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
	cancel()
	<-done

	// Without NVML the watch reports once and ends.
	var errs []error
	gpu.Watch(context.Background(), gpu.WatchOptions{Sampler: &gputest.Ramp{Err: gpu.ErrNoNVML}, Report: func(_ []gpu.Sample, _ gpu.Verdict, err error) { errs = append(errs, err) }})
	if len(errs) != 1 || !errors.Is(errs[0], gpu.ErrNoNVML) {
		t.Errorf("no NVML: reports %v, want one ErrNoNVML", errs)
	}
}

// TestNVMLSample samples the real GPUs once where EVALPLAN_TEST_GPU=1 (a machine with an
// NVIDIA driver); elsewhere OpenNVML must report ErrNoNVML or work.
func TestNVMLSample(t *testing.T) {
	s, err := gpu.OpenNVML()
	if os.Getenv("EVALPLAN_TEST_GPU") != "1" {
		if err == nil {
			s.Close()
			return
		}
		if !errors.Is(err, gpu.ErrNoNVML) {
			t.Fatalf("OpenNVML without EVALPLAN_TEST_GPU: %v, want ErrNoNVML or success", err)
		}
		t.Skip("no NVML here; EVALPLAN_TEST_GPU=1 on a GPU machine runs this test")
	}
	if err != nil {
		t.Fatalf("EVALPLAN_TEST_GPU=1 but NVML did not open: %v", err)
	}
	defer s.Close()
	inv, err := gpu.Inventory(context.Background())
	if err != nil || len(inv) == 0 {
		t.Fatalf("inventory: %v, %v", inv, err)
	}
	samples, err := s.Sample(context.Background(), nil, []int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != len(inv) {
		t.Fatalf("%d samples for %d devices", len(samples), len(inv))
	}
	for _, x := range samples {
		t.Logf("GPU %d %s %s/%s GiB %d%%, this process %d MiB", x.Index, x.Name, gpu.GiB(x.MemoryUsedMiB), gpu.GiB(x.MemoryTotalMiB), x.UtilizationPct, x.ProcessMiB)
		if x.MemoryTotalMiB <= 0 || x.MemoryUsedMiB < 0 || x.MemoryUsedMiB > x.MemoryTotalMiB || x.ProcessMiB < -1 {
			t.Errorf("impossible sample %+v", x)
		}
	}
}
