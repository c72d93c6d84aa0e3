// Package bench holds batchkit's comparisons with other code: the raw-bytes
// entries against the JSON libraries (encoding/json, github.com/goccy/go-json,
// github.com/bytedance/sonic) decoding the same events into aws-lambda-go's
// types (sonic in its default configuration, ConfigFastest, and with
// CopyString: the first two return strings pointing into the input), and the
// scripts that run every benchmark of issue 11, or issue 23's decoding rows
// (ROWS=decoding), and print BENCHMARKS.md's tables (run.sh,
// cmd/benchtable). BenchmarkPaired reports each ratio on wall time and on the
// process's CPU time. It is a module of its own
// (github.com/batchkit/batchkit/bench) so that batchkit never depends on the
// libraries it is measured against.
//
//	bash bench/run.sh                 # every row, 5 runs, prints the markdown table
//	ROWS=decoding bash bench/run.sh   # issue 23's decoding rows
//	cd bench && go test -run '^$' -bench . -benchmem
package bench
