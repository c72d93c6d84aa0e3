package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// The Kafka example, built as a bootstrap and run by the emulator, fed by
// the driver's Kafka mapping from an in-process Kafka cluster (kfake): the
// partition holding an invalid order resumes from it, the retry that fails
// as a whole is bisected, the order is sent to the on-failure destination
// after its retry, and the valid orders after it are delivered.
func TestKafkaExampleFromKafka(t *testing.T) {
	t.Parallel()
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	// Built first: the timeout below is for the Kafka run, not for a build
	// waiting its turn on a cold build cache.
	bootstrap := buildBootstrap(t, "examples/kafka", runtime.GOARCH)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "orders"))
	require.NoError(t, err)
	defer cluster.Close()
	brokers := cluster.ListenAddrs()

	order := func(partition int32, id string, amount int) *kgo.Record {
		return &kgo.Record{Topic: "orders", Partition: partition, Key: []byte(id), Value: fmt.Appendf(nil, `{"id":%q,"amount":%d}`, id, amount)}
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, producer.ProduceSync(ctx,
		order(0, "o-0", 25), order(0, "o-1", -5), order(0, "o-2", 7), order(0, "o-3", 9),
		order(1, "o-10", 3), order(1, "o-11", 4),
	).FirstErr())
	producer.Close()

	fn := startFunction(t, bootstrap)
	var mu sync.Mutex
	var discarded [][]byte
	k := driver.NewKafka(brokers, "orders")
	k.MaximumBatchingWindow = 100 * time.Millisecond
	k.MaximumRetryAttempts = 1
	k.BisectBatchOnFunctionError = true
	k.ReportBatchItemFailures = true
	k.OnFailure = driver.DestinationFunc(func(_ context.Context, f *driver.Failure) error {
		mu.Lock()
		defer mu.Unlock()
		discarded = append(discarded, f.Record)
		return nil
	})
	defer k.Close()
	batches, err := driver.Drain(ctx, k, fn, 3)
	require.NoError(t, err)

	// One batch per partition (invoked at once, as Lambda does).
	var p0 []driver.Batch
	for _, b := range batches {
		if strings.HasPrefix(b.IDs[0], "orders-1@") {
			require.Equal(t, []string{"orders-1@0", "orders-1@1"}, b.IDs)
			continue
		}
		p0 = append(p0, b)
	}
	require.Len(t, batches, 5)
	batches = p0
	require.Equal(t, []string{"orders-0@0", "orders-0@1", "orders-0@2", "orders-0@3"}, batches[0].IDs)
	require.NoError(t, batches[0].Err)
	require.Equal(t, []string{"orders-0@1"}, batches[0].Failed)
	require.Equal(t, []string{"orders-0@1", "orders-0@2", "orders-0@3"}, batches[1].IDs)
	require.ErrorIs(t, batches[1].Err, driver.ErrWholeBatchFailed, "o-1 fails and the rest of its partition is short-circuited: the whole batch failed")
	require.Equal(t, []string{"orders-0@1"}, batches[2].IDs)
	require.Error(t, batches[2].Err)
	require.Equal(t, []string{"orders-0@2", "orders-0@3"}, batches[3].IDs)
	require.NoError(t, batches[3].Err)
	require.Empty(t, batches[3].Failed)

	require.Len(t, discarded, 1)
	var rec driver.KafkaInvocationRecord
	require.NoError(t, json.Unmarshal(discarded[0], &rec))
	require.Equal(t, driver.KafkaRetryAttemptsExhausted, rec.RequestContext.Condition)
	require.Equal(t, "1", rec.KafkaBatchInfo.RecordsInfo["orders-0"].FirstRecordOffset)
	require.Equal(t, "1", rec.KafkaBatchInfo.RecordsInfo["orders-0"].LastRecordOffset)
	require.Equal(t, map[string]int64{"orders-0": 4, "orders-1": 2}, k.Committed())
}
