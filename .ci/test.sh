#!/usr/bin/env bash
# make test: start the services, then run every test, and the race detector on the engine
# and harness packages.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/services.sh
set -a
# shellcheck source=/dev/null
. .ci/services.env
set +a
go test -count=1 -timeout 25m ./...
# The race pass skips what only drives outside programs (installing environments with pip and uv).
CGO_ENABLED=1 go test -count=1 -timeout 25m -race -skip '^TestPrepareWithUVAndPip$' ./plan/... ./providers/...
