#!/usr/bin/env bash
# Compares batchkit with the TypeScript Powertools batch package on the same
# events. Run by hand (not by CI), from anywhere:
#
#   bash bench/compare/run.sh               # N=10000 records per event
#   N=1000 JSONLIBS=1 bash bench/compare/run.sh
#
# It generates SQS, SQS FIFO, Kinesis and DynamoDB Streams events of $N
# records (internal/benchevents), installs @aws-lambda-powertools/batch@2.35.0
# from npm into a temporary folder, times both with a no-op handler on records
# decoded beforehand (median of repeated runs, ns per record) and prints the
# ratio per scenario; then batchkit's raw-bytes entry against json.Unmarshal
# into aws-lambda-go's types plus processing, on the same bytes. JSONLIBS=1
# also runs the bench module's BenchmarkDecode and BenchmarkDecodeByRecord:
# encoding/json, goccy/go-json and sonic decoding the events (whole, and the
# SQS event record by record) next to the raw entry (the bench module holds
# the libraries, so that batchkit does not depend on them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-10000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/events" "$TMP/peer"

cd "$ROOT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), node $(node --version); $N records per event"
(cd bench && go run ./compare gen "$TMP/events" "$N")
(cd "$TMP/peer" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @aws-lambda-powertools/batch@2.35.0 >/dev/null)

(cd bench && go run ./compare run "$TMP/events") >"$TMP/go.txt"
node bench/compare/bench.mjs "$TMP/events" "$TMP/peer/node_modules" >"$TMP/node.txt"

echo
echo "processing, no-op handler, records decoded beforehand (ns per record):"
printf '%-10s %12s %14s %10s\n' scenario batchkit powertools-ts "ts/batchkit"
join <(sort "$TMP/go.txt") <(sort "$TMP/node.txt") | while read -r kind process _ _ ts; do
  printf '%-10s %12s %14s %9.0fx\n' "$kind" "$process" "$ts" "$(echo "$ts / $process" | bc -l)"
done
echo
echo "decoding + processing the same bytes (ns per record):"
printf '%-10s %16s %12s %10s\n' scenario "typed (encoding/json)" "raw entry" "typed/raw"
sort "$TMP/go.txt" | while read -r kind _ typed raw; do
  printf '%-10s %21s %12s %9.1fx\n' "$kind" "$typed" "$raw" "$(echo "$typed / $raw" | bc -l)"
done

if [ "${JSONLIBS:-0}" = 1 ]; then
  echo
  echo "JSON libraries (1,000-record events):"
  (cd bench && go test -run '^$' -bench 'Benchmark(Decode|DecodeByRecord)$' -benchmem . | grep -E '^Benchmark')
fi
