#!/usr/bin/env bash
# Installs (when missing) and starts the services the tests need, each on a free loopback
# port, and writes their addresses to .ci/services.env (KEY=VALUE lines) for the tests.
# One script per service lives in .ci/services.d/; each appends its variables with `export_env`.
# Processes started here run until the machine's session ends; a second run reuses them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "Go is required: install Go 1.26 or newer" >&2; exit 1; }
mkdir -p .ci/artifacts .ci/run-services
: > .ci/services.env

# export_env NAME VALUE records a variable for the tests.
export_env() { echo "$1=$2" >> .ci/services.env; export "$1=$2"; }
# free_port prints a free TCP port on 127.0.0.1 (never 5000).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# apt_install PKG... installs Debian packages once per machine.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ ! -f .ci/run-services/apt-updated ]; then apt-get update -qq && touch .ci/run-services/apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
# venv_python prints a Python 3.10–3.13 with venv support (the NeMo harnesses' range),
# installing Debian's python3 and python3-venv when missing.
venv_python() {
  local cand py=""
  for cand in python3.11 python3.12 python3.13 python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
      py=$(command -v "$cand")
      break
    fi
  done
  if [ -z "$py" ]; then
    apt_install python3 >&2
    py=$(command -v python3)
  fi
  # Debian's python3 lacks ensurepip (and so venv) without python3-venv.
  "$py" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv >&2
  echo "$py"
}
# wait_for CMD... retries CMD for up to 60 s.
wait_for() {
  for _ in $(seq 1 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

for s in .ci/services.d/*.sh; do
  [ -e "$s" ] || continue
  echo "==> service: $(basename "$s" .sh)"
  # shellcheck source=/dev/null
  . "$s"
done
echo "==> services ready: $(tr '\n' ' ' < .ci/services.env)"
