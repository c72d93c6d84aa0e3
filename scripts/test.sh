#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs and starts the local
# servers the integration tests need (scripts/lib/server-*.sh) on 127.0.0.1,
# runs go vet and `go test -race` in every module of the repository, and
# stops the servers. Under CI=true a server that cannot start is a failure;
# elsewhere its tests skip with a message. Extra arguments go to `go test`
# (after -race -count=1 -timeout 20m: the end-to-end tests build every
# example, which on a cold build cache of a busy machine takes minutes).
#
# The last line of its output is the count of tests (subtests included)
#
#   N passed, N failed, N skipped
#
# preceded by the list of skipped tests with their reason (scripts/testcount
# reads `go test -json`). The exit status is 0 only when everything passed.
#
# It needs Go, Node.js with npm, Java 17 or later, curl, git and perl (or
# GNU mv). The servers, the emulator and the bootstraps the end-to-end tests
# build are kept in the user's cache folder, shared by every clone
# ($BATCHKIT_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/batchkit; see
# scripts/lib/common.sh); nothing is written into the checkout, and the run
# fails when a file of the checkout changed during it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source scripts/lib/common.sh
RUNTMP=$(mktemp -d "${TMPDIR:-/tmp}/batchkit-test.XXXXXX")
trap 'stop_servers; rm -rf "$RUNTMP"' EXIT

# What the checkout holds before the run: after it, a file written or
# removed in it is a failure (no test may change the checkout).
STAMP="$RUNTMP/stamp"
touch "$STAMP"
git status --porcelain --untracked-files=all >"$RUNTMP/status-before"
log "cache: $CACHE; logs: $LOGS"

shopt -s nullglob
for f in scripts/lib/server-*.sh; do
  # shellcheck source=/dev/null
  source "$f"
  name=$(basename "$f" .sh); name=${name#server-}
  "start_${name//-/_}"
done

# The test counter, built for this run.
COUNTER="$RUNTMP/testcount"
go build -o "$COUNTER" ./scripts/testcount
COUNTS="$RUNTMP/counts"
: >"$COUNTS"
counter_flags=()
for a in "$@"; do
  case "$a" in -v | -test.v | -v=true | -test.v=true) counter_flags=(-v) ;; esac
done

# Every module: the root one and the nested ones (hooks, examples with
# their own dependencies).
mapfile -t modules < <(git ls-files --cached --others --exclude-standard -- 'go.mod' '**/go.mod' | xargs -n1 dirname | sort)
status=0
for m in "${modules[@]}"; do
  log "module $m: go mod tidy -diff, gofmt, go vet, go test -race"
  # A go.mod or go.sum that go mod tidy would change breaks `go get` for
  # users (and the nested modules' replace of the root): a failure.
  if ! (cd "$m" && go mod tidy -diff >/dev/null); then log "go.mod/go.sum of $m are not tidy: run go mod tidy there"; status=1; echo "0 1 0" >>"$COUNTS"; fi
  unformatted=$(cd "$m" && gofmt -l . | grep -v '^\.cache/' || true)
  if [ -n "$unformatted" ]; then log "gofmt: not formatted: $unformatted"; status=1; echo "0 1 0" >>"$COUNTS"; fi
  (cd "$m" && go vet ./...) || { status=1; echo "0 1 0" >>"$COUNTS"; }
  (cd "$m" && go test -race -count=1 -timeout 20m -json "$@" ./... 2>&1 | "$COUNTER" "${counter_flags[@]}" -counts "$COUNTS") || status=1
done

stop_servers

# The checkout is as it was: `git status` shows nothing new (it is empty
# after a run from a clean checkout), and no file under it, ignored ones
# included, was written during the run. One failed test when it changed.
git status --porcelain --untracked-files=all >"$RUNTMP/status-after"
changed=$( {
  comm -13 <(sort "$RUNTMP/status-before") <(sort "$RUNTMP/status-after") | cut -c4-
  find . -path ./.git -prune -o -newer "$STAMP" -type f -print | sed 's|^\./||'
} | sort -u)
if [ -n "$changed" ]; then
  log "FAIL: the run changed the checkout (no test may write into it):"
  sed 's/^/    /' <<<"$changed" >&2
  status=1
  echo "0 1 0" >>"$COUNTS"
fi

# tidy, gofmt, vet and checkout failures count as one failed test each.
counts=$(awk '{p+=$1; f+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$COUNTS")
if [ -z "${BATCHKIT_LOGS:-}" ] && [ "$status" = 0 ]; then rm -rf "$LOGS"; fi
echo "$counts"
exit $status
