#!/usr/bin/env bash
# make demo: start the simulated endpoint (if none answers), then plan and apply the quick start.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/examples/quickstart"
bin="$root/bin"
port=${EVALPLAN_DEMO_PORT:-8765}
url="http://127.0.0.1:$port/v1"
mkdir -p "$here/.demo"

if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
  echo "==> Simulated endpoint already answering at $url"
else
  echo "==> Starting the simulated endpoint at $url (log: examples/quickstart/.demo/sim.log)"
  rm -f "$here/.demo/url"
  nohup "$bin/evalplan-sim" -addr "127.0.0.1:$port" -models sim-model -accuracy 0.8 \
    -latency 20ms -capacity 32 -dataset "$here/data/gsm8k_sample.jsonl" \
    -url-file "$here/.demo/url" >"$here/.demo/sim.log" 2>&1 &
  echo $! >"$here/.demo/sim.pid"
  for _ in $(seq 1 100); do
    [ -s "$here/.demo/url" ] && break
    if ! kill -0 "$(cat "$here/.demo/sim.pid")" 2>/dev/null; then
      echo "The simulator exited; see examples/quickstart/.demo/sim.log" >&2; exit 1
    fi
    sleep 0.1
  done
fi

export EVALPLAN_VAR_url="$url"
cd "$here"
echo
echo "==> evalplan plan"
"$bin/evalplan" plan
echo
echo "==> evalplan apply -auto-approve"
"$bin/evalplan" apply -auto-approve
echo
echo "==> evalplan plan -detailed-exitcode   (nothing left to do: exit code 0)"
"$bin/evalplan" plan -detailed-exitcode
echo
echo "Results: examples/quickstart/output/ (samples.jsonl, results.json per run) and"
echo "examples/quickstart/evalplan.state.json. Try: cd examples/quickstart && ../../bin/evalplan show"
echo "The simulator keeps running (pid $(cat "$here/.demo/sim.pid" 2>/dev/null || echo '?')); stop it with: kill \$(cat examples/quickstart/.demo/sim.pid)"
