package driver_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/driver"
)

// kafkaCluster starts an in-process Kafka cluster (kfake speaks the wire
// protocol) with topic of the given partitions, closed at the end of the
// test, and returns its brokers.
func kafkaCluster(t *testing.T, topic string, partitions int32) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// produce writes records synchronously, each to the partition it names.
func produce(t *testing.T, brokers []string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, cl.ProduceSync(ctx, recs...).FirstErr())
}

// kafkaMapping returns a mapping with Lambda's defaults, a short batching
// window for tests and ReportBatchItemFailures (the handlers answer with a
// partial batch response), closed at the end of the test.
func kafkaMapping(t *testing.T, brokers []string, topic string) *driver.Kafka {
	t.Helper()
	k := driver.NewKafka(brokers, topic)
	k.MaximumBatchingWindow = 50 * time.Millisecond
	k.ReportBatchItemFailures = true
	t.Cleanup(k.Close)
	return k
}

// drainKafka polls until idle polls in a row deliver nothing.
func drainKafka(t *testing.T, k *driver.Kafka, fn driver.Function) []driver.Batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	batches, err := driver.Drain(ctx, k, fn, 3)
	require.NoError(t, err)
	return batches
}

// destinationRecorder is an on-failure destination that keeps what it gets.
type destinationRecorder struct {
	mu      sync.Mutex
	records [][]byte
}

func (d *destinationRecorder) Send(_ context.Context, f *driver.Failure) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records = append(d.records, f.Record)
	return nil
}

func (d *destinationRecorder) all() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.records...)
}

// partitionBatches returns the IDs of the batches per "<topic>-<partition>"
// (each batch holds one partition), in order.
func partitionBatches(batches []driver.Batch) map[string][][]string {
	out := map[string][][]string{}
	for _, b := range batches {
		tp := b.IDs[0][:strings.LastIndexByte(b.IDs[0], '@')]
		out[tp] = append(out[tp], b.IDs)
	}
	return out
}
