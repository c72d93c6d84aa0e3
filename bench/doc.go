// Package bench holds batchkit's comparisons with other code: the raw-bytes
// entries against the JSON libraries (encoding/json, github.com/goccy/go-json,
// github.com/bytedance/sonic) decoding the same events into aws-lambda-go's
// types, and the scripts that run every benchmark of issue 11 and print
// BENCHMARKS.md's table (run.sh, cmd/benchtable). It is a module of its own
// (github.com/batchkit/batchkit/bench) so that batchkit never depends on the
// libraries it is measured against.
//
//	bash bench/run.sh            # every row, 5 runs, prints the markdown table
//	cd bench && go test -run '^$' -bench . -benchmem
package bench
