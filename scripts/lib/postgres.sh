# Sourced by scripts/test and bench scripts: starts a throwaway PostgreSQL cluster in a temporary
# directory on a free loopback port, as the `postgres` user when run as root. Exports
# HANDOFFD_TEST_PG_URL (a database whose role may CREATE DATABASE) and registers a trap that stops
# the server and removes the directory.

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || { echo "postgres: no PostgreSQL server installed (run scripts/setup)" >&2; return 1; }
  echo "$d"
}

pg_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

# start_postgres [extra postgres -c options...]
start_postgres() {
  local bin port as=()
  bin=$(pg_bin_dir) || return 1
  port=$(pg_free_port) || { echo "postgres: no free port" >&2; return 1; }
  PG_TMP=$(mktemp -d /tmp/handoffd-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_TMP"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB $*" start >/dev/null \
    || { cat "$PG_TMP/server.log" >&2; return 1; }
  PG_BIN=$bin
  PG_AS=("${as[@]}")
  PG_PORT=$port
  export HANDOFFD_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  trap stop_postgres EXIT
  echo "postgres: running on 127.0.0.1:$port ($PG_TMP)" >&2
}

stop_postgres() {
  [ -n "${PG_TMP:-}" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
  PG_TMP=""
}
