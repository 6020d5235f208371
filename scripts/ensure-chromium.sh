#!/usr/bin/env bash
# The status page test drives a real headless browser: Debian's chromium through puppeteer-core
# (which downloads no browser of its own). Install the package when it is missing and this user
# can (root with apt, as on CI and fresh machines); otherwise say how.
set -euo pipefail
for name in chromium chromium-browser; do command -v "$name" >/dev/null && exit 0; done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium (Debian package) for the status page test"
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  exit 0
fi
echo "npm test needs chromium on the PATH for the status page test (e.g. 'sudo apt-get install chromium')." >&2
exit 1
