#!/usr/bin/env bash
# Installs and starts the services the tests need when they are missing. The core needs none
# beyond Go; Docker, the local registry, MLflow and Chromium are added here by the issues that
# bring their providers, each on a free loopback port handed to the tests by environment.
set -euo pipefail
command -v go >/dev/null || { echo "Go is required: install Go 1.26 or newer" >&2; exit 1; }
