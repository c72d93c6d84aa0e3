#!/usr/bin/env bash
# Runs every benchmark of issue 11 ROUNDS times (default 5) in one session,
# round after round, and prints BENCHMARKS.md's table (cmd/benchtable):
# min / median / max over the rounds, ratios taken within each round.
#
#   bash bench/run.sh                 # from anywhere; about 15 minutes on 2 cores
#   ROUNDS=7 OUT=/tmp/b.txt bash bench/run.sh
#   ROWS=decoding bash bench/run.sh   # issue 23's decoding rows only (BENCHMARKS.md)
#
# The raw results stay in $OUT (default: a temporary file, path printed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-5}
ROWS=${ROWS:-all}
OUT=${OUT:-$(mktemp /tmp/batchkit-bench.XXXXXX)}
: >"$OUT"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "raw results: $OUT" >&2

for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  # Raw entry against the JSON libraries, whole invocations, CPU-bound
  # concurrency, each contender in turn in 30 ms blocks (BenchmarkPaired),
  # and the raw entry's allocations (the bench module: batchkit does not
  # depend on the libraries).
  if [ "$ROWS" = decoding ]; then
    (cd "$ROOT/bench" && go test -run '^$' -bench 'BenchmarkPaired$/(decode|invoke)/' -benchtime 15x -count 1 .) >>"$OUT"
    (cd "$ROOT/bench" && go test -run '^$' -bench 'BenchmarkDecode$/.*/^raw$' -benchtime 5x -benchmem -count 1 .) >>"$OUT"
    continue
  fi
  (cd "$ROOT/bench" && go test -run '^$' -bench 'BenchmarkPaired$' -benchtime 15x -count 1 .) >>"$OUT"
  (cd "$ROOT/bench" && go test -run '^$' -bench 'BenchmarkDecode$/.*/^raw$' -benchtime 5x -benchmem -count 1 .) >>"$OUT"
  # No-op overhead over the hand loop, the 10-record batch, the deadline.
  (cd "$ROOT" && go test -run '^$' -bench 'Benchmark(SQS|SQSFIFO|Kinesis|DynamoDB)$/^n=(10|10000)$/^(noop|readid)$/' -benchmem -count 1 ./processors/) >>"$OUT"
  # Sleeping handlers under concurrency, against the ideal.
  (cd "$ROOT" && go test -run '^$' -bench 'BenchmarkSQSConcurrentSleep$/^bound=1000$' -benchtime 20x -count 1 ./processors/) >>"$OUT"
  (cd "$ROOT" && go test -run '^$' -bench 'BenchmarkOrderedConcurrentSleep$/^kinesis-order-by-key$' -benchtime 20x -count 1 ./processors/) >>"$OUT"
  # The OpenTelemetry hook per record (its own module).
  (cd "$ROOT/hooks/otel" && go test -run '^$' -bench 'BenchmarkRecord$/^plain$' -benchmem -count 1 .) >>"$OUT"
done

echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), $ROUNDS rounds, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
echo
(cd "$ROOT/bench" && go run ./cmd/benchtable -rows "$ROWS" "$OUT")
