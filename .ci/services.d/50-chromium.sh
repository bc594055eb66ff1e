# Headless Chromium for the HTML report test (cmd/evalplan/report_browser_test.go), sourced
# by .ci/services.sh. Installs Debian's chromium when missing; the test starts the browser
# itself (run as root, with --no-sandbox), so nothing keeps running here.
apt_install chromium
chromium_bin=$(command -v chromium || true)
if [ -z "$chromium_bin" ]; then
  echo "chromium is not on PATH after installing it" >&2
  return 1
fi
"$chromium_bin" --headless --no-sandbox --version >/dev/null 2>&1 || echo "warning: $chromium_bin --version failed" >&2
export_env EVALPLAN_TEST_CHROMIUM "$chromium_bin"
