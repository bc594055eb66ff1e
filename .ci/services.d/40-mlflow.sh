# MLflow tracking server for providers/mlflow and the export tests (sourced by .ci/services.sh).
# Installs MLflow into a virtual environment when missing, starts `mlflow server` on a free
# loopback port with a SQLite store and the artifact proxy (the managed-server command of
# DESIGN §6), and reuses a healthy server from an earlier run.
MLFLOW_VERSION=3.17.2
mlflow_dir=.ci/run-services/mlflow
mlflow_venv=.ci/run-services/mlflow-venv
mkdir -p "$mlflow_dir"

if [ ! -x "$mlflow_venv/bin/mlflow" ]; then
  echo "installing mlflow==$MLFLOW_VERSION into $mlflow_venv"
  rm -rf "$mlflow_venv"
  python3 -m venv "$mlflow_venv"
  "$mlflow_venv/bin/pip" install -q --disable-pip-version-check "mlflow==$MLFLOW_VERSION"
fi

mlflow_port=""
if [ -f "$mlflow_dir/server.pid" ] && [ -f "$mlflow_dir/server.port" ] \
  && kill -0 "$(cat "$mlflow_dir/server.pid")" 2>/dev/null \
  && curl -fsS "http://127.0.0.1:$(cat "$mlflow_dir/server.port")/health" >/dev/null 2>&1; then
  mlflow_port=$(cat "$mlflow_dir/server.port")
  echo "reusing mlflow server on port $mlflow_port"
else
  mlflow_port=$(free_port)
  abs_dir=$(cd "$mlflow_dir" && pwd)
  setsid "$mlflow_venv/bin/mlflow" server --host 127.0.0.1 --port "$mlflow_port" \
    --backend-store-uri "sqlite:///$abs_dir/mlflow.db" \
    --serve-artifacts --artifacts-destination "$abs_dir/artifacts" --workers 1 \
    >"$mlflow_dir/server.log" 2>&1 </dev/null &
  echo $! > "$mlflow_dir/server.pid"
  echo "$mlflow_port" > "$mlflow_dir/server.port"
  # A fresh SQLite store runs every migration first: allow up to 120 s.
  if ! wait_for curl -fsS "http://127.0.0.1:$mlflow_port/health" \
    && ! wait_for curl -fsS "http://127.0.0.1:$mlflow_port/health"; then
    echo "mlflow server did not become healthy; its log:" >&2
    tail -n 50 "$mlflow_dir/server.log" >&2
    cp "$mlflow_dir/server.log" .ci/artifacts/mlflow-server.log 2>/dev/null || true
    return 1
  fi
fi
export_env EVALPLAN_TEST_MLFLOW_URI "http://127.0.0.1:$mlflow_port"
export_env EVALPLAN_MLFLOW "$(cd "$mlflow_venv" && pwd)/bin/mlflow"
