#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on a free loopback port, exports
# WARDEN_TEST_DATABASE_URL (and WARDEN_REQUIRE_POSTGRES=1, so that tests
# fail instead of skipping without it) and runs the given command, then
# stops the server and removes its files.
#
#   scripts/postgres-test.sh go test -race ./review/...
#
# Without this script the review tests start their own server the same way
# (review/internal/testkit). PostgreSQL refuses to run as root: as root the
# server runs as the postgres user. Binaries: /usr/lib/postgresql/*/bin
# (Debian package postgresql), or WARDEN_PG_BIN.
set -euo pipefail

bin=${WARDEN_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
if [[ -z $bin || ! -x $bin/initdb ]]; then
  echo "postgres-test: no PostgreSQL server binaries (install the Debian package postgresql, or set WARDEN_PG_BIN)" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/warden-pg-XXXXXX)
run=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  run=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  shuf -i 20000-60000 -n 1)

cleanup() {
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
"${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null

export WARDEN_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export WARDEN_REQUIRE_POSTGRES=1
echo "postgres-test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
if (($#)); then
  "$@"
else
  echo "$WARDEN_TEST_DATABASE_URL"
  echo "postgres-test: no command given; the server stops now" >&2
fi
