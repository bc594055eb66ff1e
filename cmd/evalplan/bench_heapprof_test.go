package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// heapProfEnv names a directory to which an `evalplan apply` run by the test binary
// (TestMain) writes, every heapProfEvery and once more when apply returns, after a
// collection: its heap profile (heap-NN.pprof), its goroutines (goroutine-NN.txt) and its
// memory statistics and RSS (memstats-NN.txt), NN counting up, "end" for the last; and a
// line a second of its live heap, heap goal and RSS (timeline.txt).
// BenchmarkSlurmApply passes it on, to find what an apply's memory grows with:
//
//	go tool pprof -sample_index=inuse_space -top -diff_base heap-02.pprof heap-12.pprof
//
// With $EVALPLAN_BENCH_HEAPPROF_DIR_FINE set too, the heap is sampled every 16 KiB rather
// than 512 KiB, so that a small apply's growth shows (it slows the apply a little).
const heapProfEnv = "EVALPLAN_BENCH_HEAPPROF_DIR"

const heapProfEvery = 30 * time.Second

// runProfiled is run, writing profiles to $EVALPLAN_BENCH_HEAPPROF_DIR when it is set and
// the command is apply (the jobs that run the binary as evalplan on a node are left alone).
func runProfiled() int {
	dir := os.Getenv(heapProfEnv)
	if dir == "" || len(os.Args) < 2 || os.Args[1] != "apply" {
		return run()
	}
	if os.Getenv(heapProfEnv+"_FINE") != "" {
		runtime.MemProfileRate = 16 << 10
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(heapProfEvery)
		defer tick.Stop()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				writeProfiles(dir, fmt.Sprintf("%02d", i))
			}
		}
	}()
	go func() {
		defer wg.Done()
		writeTimeline(filepath.Join(dir, "timeline.txt"), stop)
	}()
	rc := run()
	close(stop)
	wg.Wait()
	writeProfiles(dir, "end")
	return rc
}

// writeTimeline writes a line a second until stop closes: the seconds since it started,
// the live heap as of the last collection and the heap goal (runtime/metrics), RssAnon and
// the number of goroutines (over 50 while an apply's runs are in flight).
func writeTimeline(path string, stop <-chan struct{}) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "heap profile:", err)
		return
	}
	defer f.Close()
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		metrics.Read(samples)
		anon := ""
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
					anon = strings.TrimSpace(v)
				}
			}
		}
		const mb = 1 << 20
		fmt.Fprintf(f, "%4.0fs live %.1f MB goal %.1f MB anon %s goroutines %d\n", time.Since(start).Seconds(),
			float64(samples[0].Value.Uint64())/mb, float64(samples[1].Value.Uint64())/mb, anon, runtime.NumGoroutine())
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// writeProfiles writes the profiles and statistics named name to dir (heapProfEnv).
func writeProfiles(dir, name string) {
	runtime.GC()
	write := func(file, profile string, debug int) {
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			fmt.Fprintln(os.Stderr, "heap profile:", err)
			return
		}
		defer f.Close()
		if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
			fmt.Fprintln(os.Stderr, "heap profile:", err)
		}
	}
	write("heap-"+name+".pprof", "heap", 0)
	write("goroutine-"+name+".txt", "goroutine", 1)
	// Where the process's memory is, beyond the live heap the profile shows.
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	status, _ := os.ReadFile("/proc/self/status")
	var rss []string
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "RssAnon") || strings.HasPrefix(l, "RssFile") || strings.HasPrefix(l, "Threads") {
			rss = append(rss, strings.Join(strings.Fields(l), " "))
		}
	}
	const mb = 1 << 20
	stats := fmt.Sprintf("%s\nHeapAlloc %.1f MB, HeapInuse %.1f, HeapIdle %.1f, HeapReleased %.1f, NextGC %.1f, StackInuse %.1f, MSpanSys %.1f, GCSys %.1f, BuckHashSys %.1f, OtherSys %.1f, Sys %.1f, NumGC %d, Mallocs-Frees %d, goroutines %d\n",
		strings.Join(rss, ", "), float64(m.HeapAlloc)/mb, float64(m.HeapInuse)/mb, float64(m.HeapIdle)/mb, float64(m.HeapReleased)/mb, float64(m.NextGC)/mb,
		float64(m.StackInuse)/mb, float64(m.MSpanSys)/mb, float64(m.GCSys)/mb, float64(m.BuckHashSys)/mb, float64(m.OtherSys)/mb, float64(m.Sys)/mb, m.NumGC, m.Mallocs-m.Frees, runtime.NumGoroutine())
	if err := os.WriteFile(filepath.Join(dir, "memstats-"+name+".txt"), []byte(stats), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "heap profile:", err)
	}
}
