#!/usr/bin/env bash
# make bench: every package's Go benchmarks once; the scale figures (BenchmarkApply1000: 1,000
# one-sample runs applied, target < 10 s; BenchmarkApply10000: the state of 10,000 runs,
# target < 20 MB; BenchmarkLoadChainedLocals: 8,000 chained locals); then the native harness's figures
# (DESIGN §9, issue 3) BENCH_COUNT times each (default 5), printed as medians:
#   (a) BenchmarkHarnessIdeal        5,000 samples, 50 ms latency, 256 slots: ratio = wall ÷ ideal
#   (b) BenchmarkHarnessThroughput   req/s against a zero-latency simulator
#   (c) BenchmarkHarnessPeakRSS      peak-MB of a 100,000-sample run (child process VmHWM)
#   (d) BenchmarkHarnessParallelism  parallelism 1, 16, 64, 256 at 50 ms latency
#   (e) BenchmarkHarnessDiscover     no parallelism, 128 slots, 200 ms, 2,000 samples:
#                                    ratio = wall ÷ ideal (target ≤ 1.15), against parallelism=128
#   (f) BenchmarkHarnessKVCache      no parallelism, a vLLM whose KV cache holds 100 sequences,
#                                    8,000 samples: ratio = throughput ÷ best of a fixed sweep
#                                    (target ≥ 0.95); max-waiting (target 0), preemptions
# The simulator runs in the benchmark process and shares the machine's cores with the
# harness. Raw output goes to .ci/artifacts/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${BENCH_COUNT:-5}
out=.ci/artifacts/bench
mkdir -p "$out"

echo "== Go benchmarks of every package (harness figures below)"
"$GO" test -run='^$' -bench=. -skip='^(BenchmarkHarness|BenchmarkApply1000|BenchmarkApply10000|BenchmarkLoadChainedLocals)$' -benchmem ./... | tee "$out/packages.txt"

echo
echo "== Scale figures (hardening issue): apply bookkeeping, state size, locals; once each"
"$GO" test -run='^$' -bench='^(BenchmarkApply1000|BenchmarkApply10000)$' -benchtime=1x -timeout=30m ./plan/ | tee "$out/scale.txt"
"$GO" test -run='^$' -bench='^BenchmarkLoadChainedLocals$' -benchtime=1x ./plan/config/ | tee -a "$out/scale.txt"
# One line per figure with its target.
awk '
function metric(unit,   i) { for (i = 3; i + 1 <= NF; i += 2) if ($(i + 1) == unit) return $i; return "" }
/^BenchmarkApply1000-/  { printf "apply of %d one-sample runs: %.2f s (target < 10 s), %d state writes, state %.2f MB\n", metric("runs"), metric("ns/op") / 1e9, metric("state-writes"), metric("MB-state") }
/^BenchmarkApply10000-/ { printf "apply of %d one-sample runs (parallelism 64): %.2f s, state %.2f MB (target < 20 MB)\n", metric("runs"), metric("ns/op") / 1e9, metric("MB-state") }
/^BenchmarkLoadChainedLocals-/ { printf "load of 8,000 chained locals: %.3f s\n", metric("ns/op") / 1e9 }
' "$out/scale.txt" | tee "$out/scale-summary.txt"

echo
echo "== Native harness figures: $COUNT runs each on $(nproc) cores"
"$GO" test -run='^$' -bench='^BenchmarkHarness' -benchtime=1x -count="$COUNT" -timeout=30m \
	./providers/benchmark/native/ | tee "$out/harness.txt"

echo
echo "== Medians of $COUNT runs"
# Each benchmark line is: name iterations (value unit)...; print the median of every
# custom metric (and of the wall time per run) by benchmark.
awk '
/^BenchmarkHarness/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[++nb] = name }
	for (i = 3; i + 1 <= NF; i += 2) {
		unit = $(i + 1)
		if (unit == "B/op" || unit == "allocs/op") continue
		key = name SUBSEP unit
		if (!(key in nv)) { units[name] = units[name] " " unit }
		vals[key, ++nv[key]] = $i
	}
}
END {
	for (b = 1; b <= nb; b++) {
		name = order[b]
		line = sprintf("%-48s", name)
		n = split(substr(units[name], 2), us, " ")
		for (u = 1; u <= n; u++) {
			key = name SUBSEP us[u]
			m = nv[key]
			for (i = 1; i <= m; i++) a[i] = vals[key, i] + 0
			for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
			med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
			if (us[u] == "ns/op") line = line sprintf("  %8.3f s/run", med / 1e9)
			else line = line sprintf("  %10.3f %s", med, us[u])
		}
		print line
	}
}' "$out/harness.txt" | tee "$out/medians.txt"
