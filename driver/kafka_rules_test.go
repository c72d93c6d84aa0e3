package driver_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/driver"
)

// Without FunctionResponseTypes: [ReportBatchItemFailures] (Lambda's
// default) a Kafka mapping does not read the response: a successful
// invocation that reports a failure is a successful batch, committed, not
// retried. With it, the reported record is retried.
func TestKafkaWithoutReportBatchItemFailures(t *testing.T) {
	t.Parallel()
	for _, report := range []bool{false, true} {
		topic := "orders"
		brokers := kafkaCluster(t, topic, 1)
		produce(t, brokers, &kgo.Record{Topic: topic, Partition: 0, Value: []byte("a")}, &kgo.Record{Topic: topic, Partition: 0, Value: []byte("b")})
		var mu sync.Mutex
		calls := 0
		fn := driver.FunctionFunc(func(_ context.Context, ev []byte) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls > 1 {
				return []byte(`{"batchItemFailures":[]}`), nil
			}
			return []byte(`{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":1}}]}`), nil
		})
		k := kafkaMapping(t, brokers, topic)
		k.ReportBatchItemFailures = report
		drainKafka(t, k, fn)
		s := k.Stats()
		if !report {
			require.Equal(t, 1, s.Invocations, "the response is ignored: no retry")
			require.Equal(t, 2, s.Succeeded)
		} else {
			require.Equal(t, 2, s.Invocations, "the reported record is retried")
			require.Equal(t, 1, s.Retries)
			require.Equal(t, 2, s.Succeeded, "a then b (on its retry)")
		}
		require.Equal(t, map[string]int64{"orders-0": 2}, k.Committed())
	}
}

// The batching window starts when the first record arrives, not when Poll
// is called: a record produced inside the window that the first record
// opened joins its batch, although the window measured from the call would
// have closed before it.
func TestKafkaBatchingWindowStartsAtFirstRecord(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, "orders", 1)
	k := kafkaMapping(t, brokers, "orders")
	k.MaximumBatchingWindow = 3 * time.Second
	k.IdleWait = 10 * time.Second
	var got [][]string
	fn := driver.Handler(func(_ context.Context, e events.KafkaEvent) (map[string]any, error) {
		var vals []string
		for _, r := range e.Records["orders-0"] {
			vals = append(vals, r.Value)
		}
		got = append(got, vals)
		return map[string]any{}, nil
	})
	go func() {
		time.Sleep(2 * time.Second) // the window from the call would close at 3 s
		produce(t, brokers, &kgo.Record{Topic: "orders", Partition: 0, Value: []byte("first")})
		time.Sleep(2 * time.Second) // 4 s after the call, 2 s into the window
		produce(t, brokers, &kgo.Record{Topic: "orders", Partition: 0, Value: []byte("second")})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	batches, err := k.Poll(ctx, fn)
	require.NoError(t, err)
	require.Len(t, batches, 1)
	require.Len(t, got, 1)
	require.Len(t, got[0], 2, "both records in the one batch: the window opened with the first record")
}

// MaximumBatchingWindowInSeconds: a Kafka event without it gathers for
// Lambda's default 500 ms; an explicit 0 does not wait. The template's
// FunctionResponseTypes decides whether the response is read.
func TestTemplateKafkaBatchingWindow(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, "orders", 1)
	for setting, want := range map[string]time.Duration{"": driver.KafkaDefaultBatchingWindow, "MaximumBatchingWindowInSeconds: 0": 0, "MaximumBatchingWindowInSeconds: 2": 2 * time.Second} {
		tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E:
          Type: SelfManagedKafka
          Properties:
            KafkaBootstrapServers: [b:9092]
            Topics: [orders]
            StartingPosition: TRIM_HORIZON
            ` + setting + `
`))
		require.NoError(t, err)
		maps, _, err := tpl.Mappings("")
		require.NoError(t, err)
		o, err := maps[0].Open(context.Background(), tpl, &driver.Env{KafkaBrokers: brokers})
		require.NoError(t, err)
		require.Equal(t, want, o.Poller.(*driver.Kafka).MaximumBatchingWindow, "%q", setting)
		require.False(t, o.Poller.(*driver.Kafka).ReportBatchItemFailures, "no FunctionResponseTypes: the response is not read")
		o.Close()
	}
	tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E:
          Type: SelfManagedKafka
          Properties: {KafkaBootstrapServers: [b:9092], Topics: [orders], StartingPosition: TRIM_HORIZON, FunctionResponseTypes: [ReportBatchItemFailures]}
`))
	require.NoError(t, err)
	maps, _, err := tpl.Mappings("")
	require.NoError(t, err)
	o, err := maps[0].Open(context.Background(), tpl, &driver.Env{KafkaBrokers: brokers})
	require.NoError(t, err)
	defer o.Close()
	require.True(t, o.Poller.(*driver.Kafka).ReportBatchItemFailures)
}

// A Kafka mapping invokes one batch per partition at once, as Lambda does,
// and keeps the order within each partition: the handler of each of the 3
// partitions waits until all 3 run together.
func TestKafkaPartitionsInvokedConcurrently(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, "orders", 3)
	for p := range int32(3) {
		produce(t, brokers, valueRecords("orders", p, "a", "b", "c")...)
	}
	k := kafkaMapping(t, brokers, "orders")
	k.BatchSize = 1 // three batches per partition, in order
	var mu sync.Mutex
	inFlight, most := 0, 0
	offsets := map[int64][]int64{}
	barrier := make(chan struct{})
	var once sync.Once
	fn := driver.Handler(func(_ context.Context, e events.KafkaEvent) (map[string]any, error) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		if inFlight == 3 {
			once.Do(func() { close(barrier) })
		}
		for _, recs := range e.Records {
			for _, r := range recs {
				offsets[r.Partition] = append(offsets[r.Partition], r.Offset)
			}
		}
		mu.Unlock()
		select {
		case <-barrier:
		case <-time.After(5 * time.Second):
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return map[string]any{}, nil
	})
	drainKafka(t, k, fn)
	require.Equal(t, 3, most, "one invocation per partition at once")
	for p := range int64(3) {
		require.Equal(t, []int64{0, 1, 2}, offsets[p], "partition %d in order", p)
	}
	require.Equal(t, 9, k.Stats().Succeeded)
}
