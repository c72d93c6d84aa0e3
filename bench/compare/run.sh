#!/usr/bin/env bash
# Compares batchkit with the TypeScript Powertools batch package on the same
# events: generates SQS, SQS FIFO, Kinesis and DynamoDB Streams events of
# $N records (default 10000), installs @aws-lambda-powertools/batch@2.35.0
# from npm into a temporary folder, times both with a no-op handler and
# prints ns per record and the ratio per scenario. Run by hand (not by CI),
# from anywhere: bash bench/compare/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-10000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cd "$ROOT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), node $(node --version)"
go run ./bench/compare gen "$TMP" "$N"
(cd "$TMP" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @aws-lambda-powertools/batch@2.35.0 >/dev/null)

go run ./bench/compare run "$TMP" >"$TMP/go.txt"
node bench/compare/bench.mjs "$TMP" "$TMP/node_modules" >"$TMP/node.txt"

printf '%-10s %16s %16s %8s\n' scenario "batchkit ns/rec" "powertools-ts" ratio
join <(sort "$TMP/go.txt") <(sort "$TMP/node.txt") | while read -r kind go ts; do
  printf '%-10s %16s %16s %7.0fx\n' "$kind" "$go" "$ts" "$(echo "$ts / $go" | bc -l)"
done
