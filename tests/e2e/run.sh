#!/usr/bin/env bash
# Browser end-to-end tests of the agent dashboard: starts the built handoffd on a free loopback
# port with a fresh database (SQLite, or PostgreSQL on request), creates two agents and a supervisor, and runs the story in
# dashboard.test.mjs and the other *.test.mjs here (node --test, playwright-core driving Debian's
# /usr/bin/chromium), after the dashboard's unit tests (tests/dashboard/*.test.mjs, no browser).
#
# Usage: tests/e2e/run.sh [path/to/handoffd]   (default $HANDOFFD_BINARY, else build/handoffd)
# Environment:
#   HANDOFFD_E2E_DATABASE=postgresql  run on a fresh database of the PostgreSQL server at
#                                 $HANDOFFD_TEST_PG_URL (made and dropped here) instead of SQLite
#   HANDOFFD_E2E_SCREENSHOTS=DIR  where the screenshots go (default: a temporary directory;
#                                 docs/screenshots/ to refresh the README's pictures)
#   HANDOFFD_E2E_KEEP=1           keep the temporary directory (config, database, daemon log)
#   HANDOFFD_E2E_ONLY=GLOB         run only the browser tests here matching GLOB (e.g. webchat.test.mjs)
#   HANDOFFD_E2E_DASHBOARD_DIR=DIR serve the dashboard from DIR (server.dashboard_dir) instead of
#                                 the copy compiled into the binary: try dashboard edits unbuilt
# Exits non-zero when a test fails; the last line is "e2e-sqlite: N passed, N failed" (or e2e-postgresql).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

binary=${1:-${HANDOFFD_BINARY:-$repo/build/handoffd}}
[ -x "$binary" ] || { echo "e2e: no handoffd binary at $binary (build it first)" >&2; exit 1; }
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
chromium=${HANDOFFD_E2E_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "e2e: no Chromium at $chromium (scripts/setup installs it)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "e2e: node and npm are needed (scripts/setup)" >&2; exit 1; }
command -v curl >/dev/null || { echo "e2e: curl is needed (scripts/setup)" >&2; exit 1; }

# Settings from the environment would override the config file written below.
unset HANDOFFD_CONFIG HANDOFFD_LISTEN HANDOFFD_DATABASE_URL HANDOFFD_LOG_FORMAT HANDOFFD_SESSION_TTL \
  HANDOFFD_EXPIRY_SWEEP_INTERVAL HANDOFFD_BOT_FORWARD_URL HANDOFFD_BOT_FORWARD_SECRET \
  WHATSAPP_APP_SECRET WHATSAPP_VERIFY_TOKEN WHATSAPP_ACCESS_TOKEN WHATSAPP_API_BASE \
  WHATSAPP_PHONE_NUMBER_ID WHATSAPP_PHONE_NUMBER_IDS

screenshots=${HANDOFFD_E2E_SCREENSHOTS:-}
if [ -n "$screenshots" ]; then mkdir -p "$screenshots" && screenshots=$(cd "$screenshots" && pwd); fi
work=$(mktemp -d /tmp/handoffd-e2e.XXXXXX)
pidfile=$work/handoffd.pid
log=$work/handoffd.log
status=1

database=${HANDOFFD_E2E_DATABASE:-sqlite}
pg_db=
case $database in
  sqlite) database_url="sqlite:$work/handoffd.db" ;;
  postgresql)
    [ -n "${HANDOFFD_TEST_PG_URL:-}" ] || { echo "e2e: postgresql needs HANDOFFD_TEST_PG_URL" >&2; exit 2; }
    command -v psql >/dev/null || { echo "e2e: psql is needed for postgresql" >&2; exit 2; }
    pg_db=handoffd_e2e_$(basename "$work" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
    base=${HANDOFFD_TEST_PG_URL%%\?*}
    query=${HANDOFFD_TEST_PG_URL#"$base"}
    database_url=${base%/*}/$pg_db$query
    psql "$HANDOFFD_TEST_PG_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $pg_db" >/dev/null
    ;;
  *) echo "e2e: HANDOFFD_E2E_DATABASE must be sqlite or postgresql, not $database" >&2; exit 2 ;;
esac

stop_daemon() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
    sleep 0.1
  done
  echo "e2e: handoffd (pid $pid) did not stop within 10 s of SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

report() {
  stop_daemon
  if [ -n "$pg_db" ]; then
    psql "$HANDOFFD_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$log" ]; then
    echo "e2e: last lines of the daemon's log ($log):" >&2
    tail -n 40 "$log" >&2
  fi
  if [ "$status" -ne 0 ] || [ -n "${HANDOFFD_E2E_KEEP:-}" ]; then
    echo "e2e: kept $work (config, database, daemon log, failure screenshots)" >&2
  else
    rm -rf "$work"
  fi
}
cleanup() { [ -n "${reported:-}" ] || report; }
trap cleanup EXIT

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# The web chat tests serve a host page from another port (another origin) embedding the widget.
widget_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
secret=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
config=$work/handoffd.toml
dashboard_line=
if [ -n "${HANDOFFD_E2E_DASHBOARD_DIR:-}" ]; then
  dashboard_line="dashboard_dir = \"$(cd "$HANDOFFD_E2E_DASHBOARD_DIR" && pwd)\""
fi
cat >"$config" <<EOF
# Written by tests/e2e/run.sh. No access token: the dry-run sender marks outbound messages sent.
[server]
listen = "127.0.0.1:$port"
$dashboard_line

[database]
url = "$database_url"

[whatsapp]
app_secret = "$secret"
verify_token = "e2e-verify-token"
phone_number_id = "123456789012345"

[log]
format = "json"

[[webchat.widgets]]
key = "e2e-shop"
name = "E2E Shop"
allowed_origins = ["http://127.0.0.1:$widget_port"]
welcome_text = "Hello from the E2E Shop!"

# A widget whose team (made by webchat.test.mjs with "handoffd team add") is on holiday.
[[webchat.widgets]]
key = "e2e-night"
name = "E2E Night Desk"
team = "night-desk"
allowed_origins = ["http://127.0.0.1:$widget_port"]
EOF

"$binary" migrate --config "$config" >>"$log" 2>&1
add_agent() { # email name role password
  printf '%s\n' "$4" | "$binary" agent add --config "$config" --email "$1" --name "$2" --role "$3" \
    --password-stdin >>"$log" 2>&1
}
# The same people as PEOPLE in lib/handoffd.mjs.
add_agent ana@example.test "Ana Agent" agent ana-e2e-password
add_agent bo@example.test "Bo Agent" agent bo-e2e-password
add_agent sue@example.test "Sue Supervisor" supervisor sue-e2e-password

"$binary" serve --config "$config" >>"$log" 2>&1 &
echo $! >"$pidfile"
url=http://127.0.0.1:$port
for i in $(seq 1 100); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "e2e: handoffd exited at start" >&2; exit 1; }
  [ "$i" -lt 100 ] || { echo "e2e: handoffd not ready on $url after 10 s" >&2; exit 1; }
  sleep 0.1
done
echo "e2e: $("$binary" --version 2>/dev/null | head -n 1) on $url, $database ($work)" >&2

# playwright-core exactly as package-lock.json pins it.
cd "$here"
want=$(node -p 'require("./package-lock.json").packages["node_modules/playwright-core"].version')
have=$(node -p 'try { require("./node_modules/playwright-core/package.json").version } catch { "" }')
if [ "$want" != "$have" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

export HANDOFFD_BINARY=$binary HANDOFFD_E2E_URL=$url HANDOFFD_E2E_APP_SECRET=$secret \
  HANDOFFD_E2E_CONFIG=$config HANDOFFD_E2E_PIDFILE=$pidfile HANDOFFD_E2E_LOG=$log \
  HANDOFFD_E2E_ARTIFACTS=$work HANDOFFD_E2E_CHROMIUM=$chromium HANDOFFD_E2E_WIDGET_PORT=$widget_port \
  HANDOFFD_E2E_SCREENSHOTS=${screenshots:-$work/screenshots}

files=("$repo"/tests/dashboard/*.test.mjs "$here"/*.test.mjs)
if [ -n "${HANDOFFD_E2E_ONLY:-}" ]; then
  # shellcheck disable=SC2206 # the glob is meant to expand
  files=("$here"/${HANDOFFD_E2E_ONLY})
fi
set +e
timeout -k 10 900 node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$work/results.tap" \
  "${files[@]}"
status=$?
set -e

passed=$(grep -E '^# pass [0-9]+' "$work/results.tap" 2>/dev/null | awk '{print $3}' | tail -n 1)
failed=$(grep -E '^# fail [0-9]+' "$work/results.tap" 2>/dev/null | awk '{print $3}' | tail -n 1)
[ "$status" -eq 124 ] && echo "e2e: the suite did not finish within 900 s" >&2
if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi
report
reported=1
echo "e2e-$database: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
