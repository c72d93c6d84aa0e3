# Shared helpers for scripts/test.sh. Sourced, not run.
#
# Each scripts/lib/server-<name>.sh defines start_<name>, which installs its
# server if needed (under $CACHE), starts it on 127.0.0.1 on a free port,
# waits until it answers, registers its PID with track_pid and exports the
# environment variable its tests read (BATCHKIT_<NAME>_ENDPOINT or similar).
# A server that cannot be started is a warning (its tests skip) unless
# CI=true, where it is a failure.
#
# $CACHE is the user's cache folder for batchkit, shared by every clone:
# $BATCHKIT_CACHE if set, else the folder Go's os.UserCacheDir names
# ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS) plus
# /batchkit. Nothing is written into the checkout. Every install goes into a
# temporary folder beside its final place and is renamed into place when
# complete, so two clones running at once never see half an install (the
# loser of a race throws its copy away), and an interrupted install is
# redone. It is exported as BATCHKIT_CACHE for the tests (driver/e2e keeps
# the bootstraps it builds there). $LOGS (the servers' and installs' logs)
# is a new folder per run unless BATCHKIT_LOGS is set.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
user_cache_dir() {
  if [ "$(uname -s)" = Darwin ]; then
    printf '%s\n' "$HOME/Library/Caches"
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}"
  fi
}
CACHE=${BATCHKIT_CACHE:-$(user_cache_dir)/batchkit}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
export BATCHKIT_CACHE=$CACHE
if [ -n "${BATCHKIT_LOGS:-}" ]; then
  LOGS=$BATCHKIT_LOGS
  mkdir -p "$LOGS"
else
  LOGS=$(mktemp -d "${TMPDIR:-/tmp}/batchkit-test-logs.XXXXXX")
fi
PIDS=()

log() { printf '[test %ss] %s\n' "$SECONDS" "$*" >&2; }

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

# install_atomically DEST LOGNAME COMMAND...: when DEST does not exist,
# runs COMMAND in a new temporary folder beside DEST (the folder is $1 to
# COMMAND, which runs in it), its output in $LOGS/LOGNAME.log, then renames
# the folder to DEST. When another run renamed its own copy first, this copy
# is removed and theirs is used. Returns 1 when COMMAND fails.
install_atomically() {
  local dest=$1 logname=$2 tmp; shift 2
  [ -e "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp -d "$dest.tmp.XXXXXX")
  if ! (cd "$tmp" && "$@" "$tmp") >"$LOGS/$logname.log" 2>&1; then
    rm -rf "$tmp"
    return 1
  fi
  rename_dir "$tmp" "$dest" || rm -rf "$tmp"
  [ -e "$dest" ]
}

# rename_dir FROM TO: rename(2), which fails when TO is a folder that is
# not empty (mv would move FROM into it).
rename_dir() {
  perl -e 'rename($ARGV[0], $ARGV[1]) or exit 1' "$1" "$2" 2>/dev/null || mv -T "$1" "$2" 2>/dev/null
}

# npm_install NAME PKG...: installs the npm packages PKG (pinned versions)
# once into a folder of the cache named for them and Node's major version,
# and sets NPM_DIR to it.
npm_install() {
  local name=$1 key; shift
  key=$(printf '%s\n' "$*" "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" | cksum | cut -d' ' -f1)
  NPM_DIR="$CACHE/npm/$name-$key"
  if [ ! -e "$NPM_DIR" ]; then
    log "npm install $* (into $NPM_DIR)"
  fi
  install_atomically "$NPM_DIR" "npm-$name" npm_install_here "$@"
}

# npm_install_here PKG... DIR: npm install into DIR (the current folder).
npm_install_here() {
  echo '{"private":true}' >package.json
  npm install --no-audit --no-fund --loglevel=error "${@:1:$#-1}"
}
