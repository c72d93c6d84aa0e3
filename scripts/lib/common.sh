# Shared helpers for scripts/test.sh. Sourced, not run.
#
# Each scripts/lib/server-<name>.sh defines start_<name>, which installs its
# server if needed (under $CACHE), starts it on 127.0.0.1 on a free port,
# waits until it answers, registers its PID with track_pid and exports the
# environment variable its tests read (BATCHKIT_<NAME>_ENDPOINT or similar).
# A server that cannot be started is a warning (its tests skip) unless
# CI=true, where it is a failure.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHE=${BATCHKIT_CACHE:-$ROOT/.cache}
LOGS=${BATCHKIT_LOGS:-$CACHE/logs}
mkdir -p "$CACHE" "$LOGS"
PIDS=()

log() { printf '[test] %s\n' "$*" >&2; }

# free_port prints a TCP port that is free on 127.0.0.1.
free_port() {
  python3 - <<'PY' 2>/dev/null || node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# wait_tcp HOST PORT SECONDS: wait until a TCP connection succeeds.
wait_tcp() {
  local host=$1 port=$2 secs=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# wait_http URL SECONDS: wait until URL answers with any HTTP status.
wait_http() {
  local url=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -s -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

track_pid() { PIDS+=("$1"); }

stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

# server_failed NAME REASON: under CI a missing server fails the run;
# elsewhere its tests skip with a message.
server_failed() {
  if [ "${CI:-}" = "true" ]; then
    log "FAIL: $1 could not be started: $2"
    return 1
  fi
  log "WARN: $1 could not be started ($2); its integration tests will skip"
  return 0
}

# npm_install DIR PKG...: install npm packages into DIR once.
npm_install() {
  local dir=$1; shift
  mkdir -p "$dir"
  if [ ! -f "$dir/.installed" ] || [ "$(cat "$dir/.installed")" != "$*" ]; then
    log "npm install $* (into $dir)"
    (cd "$dir" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
      npm install --no-audit --no-fund --loglevel=error "$@" >"$LOGS/npm-$(basename "$dir").log" 2>&1) || return 1
    echo "$*" > "$dir/.installed"
  fi
}
