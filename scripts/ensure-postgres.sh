#!/usr/bin/env bash
# The Postgres storage's tests start their own throwaway server (test/support/postgres.ts)
# from Debian's server binaries in /usr/lib/postgresql/<version>/bin. Install Debian's
# postgresql when they are missing and this user can (root with apt, as on CI and fresh
# machines); otherwise say how.
set -euo pipefail
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && exit 0
command -v initdb >/dev/null && exit 0 # elsewhere (Homebrew, ...) initdb and pg_ctl are on the PATH
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing postgresql (Debian package) for the Postgres storage tests"
  # Only the binaries are wanted: no cluster of the package's own, and so no server left running on 5432.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/eventsync-no-main-cluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
  exit 0
fi
echo "npm test needs Postgres's server binaries (initdb, pg_ctl): 'sudo apt-get install postgresql', or 'brew install postgresql' and initdb on the PATH." >&2
exit 1
