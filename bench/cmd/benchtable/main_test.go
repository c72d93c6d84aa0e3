package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
pkg: github.com/batchkit/batchkit/bench
BenchmarkPaired/decode/sqs-2   	      15	      6000 best-ns/record	      4000 raw-ns/record	         1.5 x-best
BenchmarkDecode/sqs/raw-2     	     100	  4000000 ns/op	     4000 ns/record	 2500000 B/op	    4000 allocs/op
pkg: github.com/batchkit/batchkit/bench
BenchmarkPaired/decode/sqs-2   	      15	      5000 best-ns/record	      5000 raw-ns/record	         1.0 x-best
BenchmarkDecode/sqs/raw-2     	     100	  5000000 ns/op	     5000 ns/record	 2500000 B/op	    4000 allocs/op
pkg: github.com/batchkit/batchkit/bench
BenchmarkPaired/decode/sqs-2   	      15	      6600 best-ns/record	      3000 raw-ns/record	         2.2 x-best
BenchmarkDecode/sqs/raw-2     	     100	  3000000 ns/op	     3000 ns/record	 2500000 B/op	    4000 allocs/op
`

func TestParseAndRatios(t *testing.T) {
	r := results{}
	require.NoError(t, parse(strings.NewReader(sample), r))
	require.Equal(t, []float64{4000, 5000, 3000}, r["bench.BenchmarkDecode/sqs/raw"]["ns/record"])
	require.Equal(t, []float64{4000, 4000, 4000}, r["bench.BenchmarkDecode/sqs/raw"]["allocs/op"])

	tests := []struct {
		vals        []float64
		lo, med, hi float64
	}{
		{[]float64{3, 1, 2}, 1, 2, 3},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
		{[]float64{7}, 7, 7, 7},
	}
	for _, tt := range tests {
		lo, med, hi := stats(tt.vals)
		require.Equal(t, []float64{tt.lo, tt.med, tt.hi}, []float64{lo, med, hi})
	}

	var out bytes.Buffer
	write(&out, r, issue11()[:1])
	// Per round, the best library over raw (x-best): 1.5, 1.0, 2.2:
	// median 1.5, met (>= 1.3).
	require.Contains(t, out.String(), "| 1.00x / **1.50x** / 2.20x | 3 | >= 1.3x | **yes** |")

	require.Equal(t, "12,290", num(12290.4))
	require.Equal(t, "4.02", num(4.023))
	require.Equal(t, "1,234,567", num(1234567))
	require.Equal(t, "100", num(100))

	// Issue 23's throughput: bytes per record over ns per record.
	require.Equal(t, 400.0, perSecond(800, 2000))
	out.Reset()
	write(&out, r, issue11()[3:4])
	require.Contains(t, out.String(), "not measured")
}

// TestBoundRow: a row without a goal (the SQS floor) prints its value and
// no verdict.
func TestBoundRow(t *testing.T) {
	r := results{}
	require.NoError(t, parse(strings.NewReader(`pkg: github.com/batchkit/batchkit/bench
BenchmarkPaired/decode/sqs-2   	      15	      2000 raw-ns/record	      1000 floor-ns/record	         0.5 x-floor	       800 event-B/record
`), r))
	var rows []row
	for _, row := range issue23() {
		if strings.HasPrefix(row.what, "SQS floor") && strings.HasSuffix(row.what, "wall time") {
			rows = append(rows, row)
		}
	}
	require.Len(t, rows, 2)
	var out bytes.Buffer
	write(&out, r, rows)
	require.Contains(t, out.String(), "| 2,000 ns/record | 1,000 ns/record | 0.50x / **0.50x** / 0.50x | 1 | (bound) |  |")
	require.Contains(t, out.String(), "| 800 B/record | 1,000 B/record | 800 MB/s / **800 MB/s** / 800 MB/s | 1 | (bound) |  |")
}
