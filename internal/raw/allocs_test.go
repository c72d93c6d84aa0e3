//go:build !race

package raw

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/internal/benchevents"
)

// TestDecodeAllocationsPerRecord holds the decoding of 1,000-record events
// to its allocations (docs/performance.md): SQS its two maps, Kinesis
// nothing per record, DynamoDB its 7 maps, the 4 interfaces holding its
// lists and sets, and the 3 S/N values of a benchmark record not met before
// in the event (35 when every S/N value was boxed).
func TestDecodeAllocationsPerRecord(t *testing.T) {
	const n = 1000
	for _, c := range []struct {
		kind string
		max  float64
		run  func(string) error
	}{
		{"sqs", 4.05, func(s string) error { _, _, err := decodeEvent(s, &SQS); return err }},
		{"kinesis", 0.05, func(s string) error { _, _, err := decodeEvent(s, &Kinesis); return err }},
		{"dynamodb", 21.05, func(s string) error { _, _, err := decodeEvent(s, &DynamoDB); return err }},
	} {
		t.Run(c.kind, func(t *testing.T) {
			data := benchevents.Event(c.kind, n)
			s := unsafe.String(unsafe.SliceData(data), len(data))
			var err error
			perRecord := testing.AllocsPerRun(3, func() { err = c.run(s) }) / n
			require.NoError(t, err)
			t.Logf("%.3f allocations per record", perRecord)
			require.LessOrEqual(t, perRecord, c.max)
		})
	}
}
