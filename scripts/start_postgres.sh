#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the dashboard tests (as root; Debian's
# `postgresql` package) and prints the URL the tests read from VLMHB_TEST_POSTGRES_URL:
#
#   export VLMHB_TEST_POSTGRES_URL="$(bash scripts/start_postgres.sh)"
#
# The cluster lives in VLMHB_PG_DIR (default /tmp/vlmhb-postgres), owned by the
# `postgres` user, listens on 127.0.0.1:VLMHB_PG_PORT (default 55432) only, trusts local
# connections (test data, nothing else) and holds one database, `vlmhb_test`. Run again
# while it is up: it prints the URL and starts nothing. Stop it with
# `su postgres -c "pg_ctl -D /tmp/vlmhb-postgres stop"`.
#
# Exit status: 0 the server answers, 1 it did not come up (its log is printed), 3
# PostgreSQL is not installed (apt-get install postgresql).
set -euo pipefail

DIR="${VLMHB_PG_DIR:-/tmp/vlmhb-postgres}"
PORT="${VLMHB_PG_PORT:-55432}"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/vlmhb_test"

log() { printf '[start_postgres] %s\n' "$*" >&2; }

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
[ -n "$BIN" ] && [ -x "$BIN/pg_ctl" ] || { log "PostgreSQL is not installed (apt-get install postgresql)"; exit 3; }
as_pg() { su postgres -s /bin/sh -c "$*"; }

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  if [ ! -s "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR" && chown postgres:postgres "$DIR" && chmod 700 "$DIR"
    as_pg "'$BIN/initdb' -D '$DIR' -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8" >/dev/null
  fi
  if ! as_pg "'$BIN/pg_ctl' -D '$DIR' -l '$DIR/server.log' -w -t 60 \
      -o \"-c listen_addresses=127.0.0.1 -p $PORT -k /tmp\" start" >/dev/null; then
    log "the server did not come up; its log:"
    cat "$DIR/server.log" >&2 || true
    exit 1
  fi
fi
if ! as_pg "'$BIN/psql' -h 127.0.0.1 -p $PORT -U postgres -Atqc \"select 1 from pg_database where datname = 'vlmhb_test'\"" | grep -q 1; then
  as_pg "'$BIN/createdb' -h 127.0.0.1 -p $PORT -U postgres vlmhb_test"
fi
log "PostgreSQL answers on 127.0.0.1:${PORT} (data in ${DIR})"
printf '%s\n' "$URL"
