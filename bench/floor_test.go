package bench

import (
	stdjson "encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/internal/raw"
)

// TestSQSFloorBuildsTheRecords: the floor contender hands core.Process the
// records json.Unmarshal gives, with maps of their own made at every call
// (what any decoder into these types must allocate), not the template's.
func TestSQSFloorBuildsTheRecords(t *testing.T) {
	data := benchevents.SQS(20, false)
	var want events.SQSEvent
	require.NoError(t, stdjson.Unmarshal(data, &want))
	build := sqsFloor(data)
	a, b := build(), build()
	require.Equal(t, want.Records, a)
	for i := range a {
		require.NotEqual(t, reflect.ValueOf(a[i].Attributes).Pointer(), reflect.ValueOf(b[i].Attributes).Pointer())
		require.NotEqual(t, reflect.ValueOf(a[i].MessageAttributes).Pointer(), reflect.ValueOf(b[i].MessageAttributes).Pointer())
	}
	allocs := testing.AllocsPerRun(3, func() { build() })
	require.GreaterOrEqual(t, allocs, float64(4*len(a)), "two maps of two allocations per record")
}

// TestRawViewDecodesTheRecords: the "raw-view" bound decodes the records
// json.Unmarshal gives (only where its strings live differs).
func TestRawViewDecodesTheRecords(t *testing.T) {
	data := benchevents.SQS(20, false)
	var want events.SQSEvent
	require.NoError(t, stdjson.Unmarshal(data, &want))
	got, failures, err := raw.DecodeEnvelope(string(data), &raw.SQS, raw.RecordsKey, nil,
		func(*raw.Dec, string) (bool, error) { return false, nil })
	require.NoError(t, err)
	require.Empty(t, failures)
	require.Equal(t, want.Records, got)
}
