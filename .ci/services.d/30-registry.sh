# Local image registries for the container provider's tests (Debian's docker-registry), both on
# loopback (dockerd treats 127.0.0.0/8 registries as insecure-OK, so plain HTTP works):
#   EVALPLAN_TEST_REGISTRY       open registry
#   EVALPLAN_TEST_REGISTRY_AUTH  registry with htpasswd auth; user and password in
#                                EVALPLAN_TEST_REGISTRY_USER / EVALPLAN_TEST_REGISTRY_PASSWORD
# Storage lives under .ci/run-services/registry*; logs go to .ci/artifacts/registry*.log.
# Sourced by .ci/services.sh (export_env, apt_install, free_port, wait_for).
apt_install docker-registry
registry_user=evalplan
registry_password=evalplan-test-secret
# bcrypt of $registry_password (docker-registry's htpasswd accepts bcrypt only).
registry_hash='$2a$10$ThUP.Qi2IgIydcJKALQPK.n1xOTRDeZgrieRtYMmCEPSvYvPAJVWG'

# start_registry NAME AUTH(yes|no) prints the registry's host:port, reusing a running one.
start_registry() {
  local name=$1 auth=$2 dir=.ci/run-services/$1 port pid
  mkdir -p "$dir/data"
  if [ -f "$dir/pid" ] && [ -f "$dir/port" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null &&
     curl -s -o /dev/null "http://127.0.0.1:$(cat "$dir/port")/v2/"; then
    echo "127.0.0.1:$(cat "$dir/port")"
    return 0
  fi
  port=$(free_port)
  {
    echo "version: 0.1"
    echo "log: {level: info}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $PWD/$dir/data}"
    echo "  delete: {enabled: true}"
    echo "http: {addr: '127.0.0.1:$port'}"
    if [ "$auth" = yes ]; then
      echo "$registry_user:$registry_hash" > "$dir/htpasswd"
      echo "auth: {htpasswd: {realm: evalplan-test, path: $PWD/$dir/htpasswd}}"
    fi
  } > "$dir/config.yml"
  nohup docker-registry serve "$dir/config.yml" >> ".ci/artifacts/$name.log" 2>&1 &
  pid=$!
  echo "$pid" > "$dir/pid"
  echo "$port" > "$dir/port"
  # /v2/ answers 200 (open) or 401 (auth) once the registry listens.
  if ! wait_for curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
    echo "$name did not start; see .ci/artifacts/$name.log" >&2
    return 1
  fi
  echo "127.0.0.1:$port"
}

registry_addr=$(start_registry registry no)
registry_auth_addr=$(start_registry registry-auth yes)
export_env EVALPLAN_TEST_REGISTRY "$registry_addr"
export_env EVALPLAN_TEST_REGISTRY_AUTH "$registry_auth_addr"
export_env EVALPLAN_TEST_REGISTRY_USER "$registry_user"
export_env EVALPLAN_TEST_REGISTRY_PASSWORD "$registry_password"
