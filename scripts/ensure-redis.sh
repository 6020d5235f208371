#!/usr/bin/env bash
# The shared rate-limit test runs a real Redis. Install Debian's redis-server when it is
# missing and this user can (root with apt, as on CI and fresh machines); otherwise say how.
set -euo pipefail
command -v redis-server >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing redis-server (Debian package) for the shared rate-limit test"
  apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
  exit 0
fi
echo "npm test needs redis-server on the PATH (e.g. 'sudo apt-get install redis-server' or 'brew install redis')." >&2
exit 1
