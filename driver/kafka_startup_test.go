package driver_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// Records already in the topic when the mapping opens are read by its first
// Poll, however long the client's first fetch takes: an empty wait then is
// not an idle source. With a wait far shorter than any fetch, the first
// Poll would otherwise report nothing and a drain would stop before the
// records.
func TestKafkaFirstPollWaitsForRecordsAlreadyThere(t *testing.T) {
	brokers := kafkaCluster(t, "startup", 2)
	produce(t, brokers, valueRecords("startup", 0, "a", "b")...)
	produce(t, brokers, valueRecords("startup", 1, "c")...)

	k := kafkaMapping(t, brokers, "startup")
	k.MaximumBatchingWindow = 0
	k.IdleWait = time.Nanosecond
	var seen atomic.Int32
	batches, err := k.Poll(context.Background(), driver.FunctionFunc(func(_ context.Context, e []byte) ([]byte, error) {
		seen.Add(1)
		return []byte(`{"batchItemFailures":[]}`), nil
	}))
	require.NoError(t, err)
	require.NotEmpty(t, batches, "the first Poll delivers the records that were there")
	require.Equal(t, len(batches), int(seen.Load()), "one invocation per partition")
	require.NotEmpty(t, batches[0].IDs)

	// Once caught up, an empty topic is idle at once.
	start := time.Now()
	for range 5 {
		if _, err := k.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
			return []byte(`{"batchItemFailures":[]}`), nil
		})); err != nil {
			t.Fatal(err)
		}
	}
	require.Less(t, time.Since(start), 5*time.Second, "no first-fetch wait once records were read")
}
