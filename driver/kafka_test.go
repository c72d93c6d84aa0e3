package driver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/driver/filter"
	"github.com/batchkit/batchkit/processors"
)

// kafkaLog is a Kafka handler built with batchkit's Kafka processor that
// records, per partition, the offsets it handled and those that succeeded;
// fail decides which records fail (by value).
type kafkaLog struct {
	mu        sync.Mutex
	handled   map[string][]int64
	outcomes  map[string][]bool
	succeeded map[string][]int64
	fail      func(value string, attempt int) bool
	attempts  map[string]int
}

func newKafkaLog(fail func(value string, attempt int) bool) *kafkaLog {
	return &kafkaLog{handled: map[string][]int64{}, outcomes: map[string][]bool{}, succeeded: map[string][]int64{}, attempts: map[string]int{}, fail: fail}
}

func (l *kafkaLog) function() driver.Function {
	p := core.Must(processors.NewKafka(processors.Config{}))
	return driver.Handler(func(ctx context.Context, e events.KafkaEvent) (core.Response, error) {
		resp, err := processors.ProcessKafka(ctx, p, e, func(_ context.Context, r *events.KafkaRecord) error {
			v, _ := base64.StdEncoding.DecodeString(r.Value)
			tp := fmt.Sprintf("%s-%d", r.Topic, r.Partition)
			l.mu.Lock()
			l.attempts[string(v)]++
			attempt := l.attempts[string(v)]
			l.handled[tp] = append(l.handled[tp], r.Offset)
			l.mu.Unlock()
			failed := l.fail != nil && l.fail(string(v), attempt)
			l.mu.Lock()
			l.outcomes[tp] = append(l.outcomes[tp], !failed)
			if !failed {
				l.succeeded[tp] = append(l.succeeded[tp], r.Offset)
			}
			l.mu.Unlock()
			if failed {
				return fmt.Errorf("record %s fails", v)
			}
			return nil
		})
		return resp, err
	})
}

// outcome says whether the i-th record handled in partition tp succeeded.
func (l *kafkaLog) outcome(tp string, i int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.outcomes[tp][i]
}

func valueRecords(topic string, partition int32, values ...string) []*kgo.Record {
	out := make([]*kgo.Record, len(values))
	for i, v := range values {
		out[i] = &kgo.Record{Topic: topic, Partition: partition, Value: []byte(v)}
	}
	return out
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// The event is Lambda's: records under "<topic>-<partition>", base64 key and
// value, the timestamp in milliseconds, headers as arrays of signed bytes,
// eventSource, eventSourceArn and bootstrapServers.
func TestKafkaEventShape(t *testing.T) {
	brokers := kafkaCluster(t, "orders", 2)
	ts := time.UnixMilli(1764100000042)
	produce(t, brokers, &kgo.Record{
		Topic: "orders", Partition: 1, Key: []byte("o-1"), Value: []byte(`{"id":"o-1"}`), Timestamp: ts,
		Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte{0x61, 0xff, 0x80}}},
	})
	for _, tc := range []struct {
		source string
		arn    bool
	}{{driver.KafkaSourceMSK, true}, {driver.KafkaSourceSelfManaged, false}} {
		t.Run(tc.source, func(t *testing.T) {
			k := kafkaMapping(t, brokers, "orders")
			k.EventSource = tc.source
			k.ConsumerGroupID = "shape-" + tc.source
			var event []byte
			batches := drainKafka(t, k, driver.FunctionFunc(func(_ context.Context, e []byte) ([]byte, error) {
				event = e
				return []byte(`{"batchItemFailures":[]}`), nil
			}))
			require.Len(t, batches, 1)
			require.Equal(t, []string{"orders-1@0"}, batches[0].IDs)
			require.NoError(t, batches[0].Err)

			var got map[string]any
			require.NoError(t, json.Unmarshal(event, &got))
			require.Equal(t, tc.source, got["eventSource"])
			require.Equal(t, brokers[0], got["bootstrapServers"])
			_, hasARN := got["eventSourceArn"]
			require.Equal(t, tc.arn, hasARN)
			recs := got["records"].(map[string]any)["orders-1"].([]any)
			require.Len(t, recs, 1)
			want := fmt.Sprintf(`{"topic":"orders","partition":1,"offset":0,"timestamp":1764100000042,"timestampType":"CREATE_TIME",
				"key":%q,"value":%q,"headers":[{"trace":[97,-1,-128]}]}`,
				base64.StdEncoding.EncodeToString([]byte("o-1")), base64.StdEncoding.EncodeToString([]byte(`{"id":"o-1"}`)))
			b, _ := json.Marshal(recs[0])
			require.JSONEq(t, want, string(b))

			var typed events.KafkaEvent
			require.NoError(t, json.Unmarshal(event, &typed))
			require.Equal(t, []byte{0x61, 0xff, 0x80}, []byte(typed.Records["orders-1"][0].Headers[0]["trace"]))
			require.Equal(t, map[string]int64{"orders-1": 1}, k.Committed())
		})
	}
}

// A reported partition resumes from its reported offset: the records before
// it are committed and never delivered again, the failed one and those after
// it are, in order.
func TestKafkaResumesFromReportedOffset(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	produce(t, brokers, valueRecords("t", 0, "v0", "v1", "v2", "v3", "v4")...)
	log := newKafkaLog(func(v string, attempt int) bool { return v == "v2" && attempt == 1 })
	k := kafkaMapping(t, brokers, "t")
	batches := drainKafka(t, k, log.function())

	require.Len(t, batches, 2)
	require.Equal(t, []string{"t-0@0", "t-0@1", "t-0@2", "t-0@3", "t-0@4"}, batches[0].IDs)
	require.NoError(t, batches[0].Err)
	require.Equal(t, []string{"t-0@2"}, batches[0].Failed)
	require.Equal(t, []string{"t-0@2", "t-0@3", "t-0@4"}, batches[1].IDs)
	require.Empty(t, batches[1].Failed)
	require.Equal(t, []int64{0, 1, 2, 2, 3, 4}, log.handled["t-0"])
	require.Equal(t, seq(0, 4), log.succeeded["t-0"])
	require.Equal(t, map[string]int64{"t-0": 5}, k.Committed())
	st := k.Stats()
	require.Equal(t, 2, st.Invocations)
	require.Equal(t, 1, st.Retries)
}

// A poison record is retried MaximumRetryAttempts times, then discarded with
// the rest of its partition's batch from its offset: the on-failure
// destination gets Lambda's invocation record, and the partition goes on.
func TestKafkaPoisonRecordRetriesThenDestination(t *testing.T) {
	brokers := kafkaCluster(t, "t", 2)
	produce(t, brokers, valueRecords("t", 0, "a0", "a1", "a2", "poison", "a4", "a5")...)
	produce(t, brokers, valueRecords("t", 1, "b0", "b1")...)
	log := newKafkaLog(func(v string, _ int) bool { return v == "poison" })
	dest := &destinationRecorder{}
	k := kafkaMapping(t, brokers, "t")
	k.MaximumRetryAttempts = 2
	k.OnFailure = dest
	k.FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	batches := drainKafka(t, k, log.function())

	var p0 []driver.Batch
	for _, b := range batches {
		if strings.HasPrefix(b.IDs[0], "t-0@") {
			p0 = append(p0, b)
		}
	}
	require.Len(t, p0, 3, "the first invocation and 2 retries")
	require.Equal(t, []string{"t-0@3"}, p0[0].Failed)
	require.Equal(t, []string{"t-0@3", "t-0@4", "t-0@5"}, p0[1].IDs)
	require.Equal(t, []string{"t-0@3", "t-0@4", "t-0@5"}, p0[2].IDs)
	require.Equal(t, []int64{0, 1, 2, 3, 3, 3}, log.handled["t-0"], "the records after the poison are not handled: the partition stops at it")
	require.Equal(t, []int64{0, 1}, log.succeeded["t-1"])

	recs := dest.all()
	require.Len(t, recs, 1)
	var rec driver.KafkaInvocationRecord
	require.NoError(t, json.Unmarshal(recs[0], &rec))
	require.Equal(t, driver.KafkaRetryAttemptsExhausted, rec.RequestContext.Condition)
	require.Equal(t, 3, rec.RequestContext.ApproximateInvokeCount, "MaximumRetryAttempts + 1")
	require.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:orders", rec.RequestContext.FunctionARN)
	require.NotEmpty(t, rec.RequestContext.RequestID)
	require.NotNil(t, rec.ResponseContext)
	require.Equal(t, 200, rec.ResponseContext.StatusCode)
	require.Equal(t, "1.0", rec.Version)
	require.Equal(t, 3, rec.KafkaBatchInfo.BatchSize)
	require.Equal(t, brokers[0], rec.KafkaBatchInfo.BootstrapServers)
	require.Positive(t, rec.KafkaBatchInfo.PayloadSize)
	require.Equal(t, map[string]driver.KafkaRecordsInfo{"t-0": {
		FirstRecordOffset: "3", LastRecordOffset: "5",
		FirstRecordTimestamp: rec.KafkaBatchInfo.RecordsInfo["t-0"].FirstRecordTimestamp,
		LastRecordTimestamp:  rec.KafkaBatchInfo.RecordsInfo["t-0"].LastRecordTimestamp,
	}}, rec.KafkaBatchInfo.RecordsInfo)
	_, err := time.Parse("2006-01-02T15:04:05.000Z", rec.KafkaBatchInfo.RecordsInfo["t-0"].FirstRecordTimestamp)
	require.NoError(t, err)

	require.Equal(t, map[string]int64{"t-0": 6, "t-1": 2}, k.Committed())
	st := k.Stats()
	require.Equal(t, 3, st.Discarded)
	require.Equal(t, 1, st.SentToDestination)
}

// With BisectBatchOnFunctionError, a batch that fails as a whole is split
// until the poison record is alone; bisecting uses no retry, so every other
// record succeeds exactly once and the poison is retried
// MaximumRetryAttempts times before the destination gets it.
func TestKafkaBisectIsolatesPoisonRecord(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	values := []string{"v0", "v1", "v2", "v3", "v4", "poison", "v6", "v7"}
	produce(t, brokers, valueRecords("t", 0, values...)...)
	succeeded := map[string]int{}
	var invocations [][]string
	fn := driver.Handler(func(_ context.Context, e events.KafkaEvent) (core.Response, error) {
		var vs []string
		for _, r := range e.Records["t-0"] {
			v, _ := base64.StdEncoding.DecodeString(r.Value)
			vs = append(vs, string(v))
		}
		invocations = append(invocations, vs)
		for _, v := range vs {
			if v == "poison" {
				return core.Response{}, errors.New("the batch holds a poison record")
			}
		}
		for _, v := range vs {
			succeeded[v]++
		}
		return core.Response{}, nil
	})
	dest := &destinationRecorder{}
	k := kafkaMapping(t, brokers, "t")
	k.BisectBatchOnFunctionError = true
	k.MaximumRetryAttempts = 1
	k.OnFailure = dest
	batches := drainKafka(t, k, fn)

	require.Equal(t, [][]string{
		values,
		{"v0", "v1", "v2", "v3"},
		{"v4", "poison", "v6", "v7"},
		{"v4", "poison"},
		{"v4"},
		{"poison"},
		{"poison"}, // the one retry
		{"v6", "v7"},
	}, invocations)
	for _, v := range values {
		if v != "poison" {
			require.Equal(t, 1, succeeded[v], v)
		}
	}
	for _, b := range batches {
		if b.Err != nil {
			require.ErrorIs(t, b.Err, driver.ErrWholeBatchFailed)
		}
	}
	recs := dest.all()
	require.Len(t, recs, 1)
	var rec driver.KafkaInvocationRecord
	require.NoError(t, json.Unmarshal(recs[0], &rec))
	require.Equal(t, driver.KafkaRetryAttemptsExhausted, rec.RequestContext.Condition)
	require.Equal(t, "Unhandled", rec.ResponseContext.FunctionError)
	require.Equal(t, 5, rec.RequestContext.ApproximateInvokeCount, "every invocation that held it")
	require.Equal(t, "5", rec.KafkaBatchInfo.RecordsInfo["t-0"].FirstRecordOffset)
	require.Equal(t, "5", rec.KafkaBatchInfo.RecordsInfo["t-0"].LastRecordOffset)
	st := k.Stats()
	require.Equal(t, 3, st.Bisections)
	require.Equal(t, 1, st.Retries)
	require.Equal(t, map[string]int64{"t-0": 8}, k.Committed())
}

// An identifier that is not a record of the batch, or not a Kafka
// identifier, fails the whole batch: it is delivered again from its first
// record.
func TestKafkaInvalidIdentifierFailsWholeBatch(t *testing.T) {
	for name, response := range map[string]string{
		"offset not in the batch": `{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":99}}]}`,
		"unknown partition":       `{"batchItemFailures":[{"itemIdentifier":{"partition":"t-7","offset":0}}]}`,
		"string identifier":       `{"batchItemFailures":[{"itemIdentifier":"t-0@1"}]}`,
		"empty partition":         `{"batchItemFailures":[{"itemIdentifier":{"partition":"","offset":0}}]}`,
		"not JSON":                `oops`,
	} {
		t.Run(name, func(t *testing.T) {
			brokers := kafkaCluster(t, "t", 1)
			produce(t, brokers, valueRecords("t", 0, "v0", "v1")...)
			k := kafkaMapping(t, brokers, "t")
			calls := 0
			batches := drainKafka(t, k, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
				calls++
				if calls == 1 {
					return []byte(response), nil
				}
				return []byte(`{}`), nil
			}))
			require.Len(t, batches, 2)
			var invalid *driver.InvalidResponseError
			require.ErrorAs(t, batches[0].Err, &invalid)
			require.ErrorIs(t, batches[0].Err, driver.ErrWholeBatchFailed)
			require.Equal(t, batches[0].IDs, batches[1].IDs)
			require.NoError(t, batches[1].Err)
			require.Equal(t, map[string]int64{"t-0": 2}, k.Committed())
		})
	}
}

// Records of one partition reach the function in offset order and each
// succeeds exactly once, while partitions fail independently.
func TestKafkaOrderPerPartition(t *testing.T) {
	const partitions, perPartition = 3, 20
	brokers := kafkaCluster(t, "t", partitions)
	for p := range int32(partitions) {
		var vs []string
		for i := range perPartition {
			vs = append(vs, fmt.Sprintf("p%d-%d", p, i))
		}
		produce(t, brokers, valueRecords("t", p, vs...)...)
	}
	// Every seventh record fails on its first two attempts.
	log := newKafkaLog(func(v string, attempt int) bool {
		var p, i int
		fmt.Sscanf(v, "p%d-%d", &p, &i)
		return (i+p)%7 == 3 && attempt <= 2
	})
	k := kafkaMapping(t, brokers, "t")
	k.BatchSize = 10
	drainKafka(t, k, log.function())
	for p := range partitions {
		tp := "t-" + strconv.Itoa(p)
		require.Equal(t, seq(0, perPartition-1), log.succeeded[tp], tp)
		// The partition never goes back before its first record not yet
		// succeeded, and only goes back to it: succeeded records are not
		// delivered again.
		h, done := log.handled[tp], int64(0)
		succeeded := map[int64]bool{}
		for i, o := range h {
			for succeeded[done] {
				done++
			}
			require.GreaterOrEqual(t, o, done, "%s delivered %d again", tp, o)
			if i > 0 && o != h[i-1]+1 {
				require.Equal(t, done, o, "%s resumes at its failed offset", tp)
			}
			succeeded[o] = log.outcome(tp, i)
		}
		require.Equal(t, int64(perPartition), k.Committed()[tp])
	}
}

// BatchSize bounds each invocation.
func TestKafkaBatchSize(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	produce(t, brokers, valueRecords("t", 0, "0", "1", "2", "3", "4")...)
	k := kafkaMapping(t, brokers, "t")
	k.BatchSize = 2
	batches := drainKafka(t, k, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	var sizes []int
	for _, b := range batches {
		sizes = append(sizes, len(b.IDs))
	}
	require.Equal(t, []int{2, 2, 1}, sizes)
}

// Records older than MaximumRecordAgeInSeconds are discarded without an
// invocation; the destination gets a RecordAgeExceeded record without a
// response context.
func TestKafkaRecordAge(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	old := time.Now().Add(-2 * time.Hour)
	produce(t, brokers,
		&kgo.Record{Topic: "t", Value: []byte("old-0"), Timestamp: old},
		&kgo.Record{Topic: "t", Value: []byte("old-1"), Timestamp: old},
		&kgo.Record{Topic: "t", Value: []byte("new-2"), Timestamp: time.Now()},
	)
	log := newKafkaLog(nil)
	dest := &destinationRecorder{}
	k := kafkaMapping(t, brokers, "t")
	k.MaximumRecordAgeInSeconds = 3600
	k.OnFailure = dest
	batches := drainKafka(t, k, log.function())
	require.Len(t, batches, 1)
	require.Equal(t, []string{"t-0@2"}, batches[0].IDs)
	require.Equal(t, []int64{2}, log.handled["t-0"])

	recs := dest.all()
	require.Len(t, recs, 1)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(recs[0], &rec))
	require.Nil(t, rec["responseContext"])
	require.Contains(t, rec, "responseContext")
	ctx := rec["requestContext"].(map[string]any)
	require.Equal(t, driver.KafkaRecordAgeExceeded, ctx["condition"])
	require.EqualValues(t, 0, ctx["approximateInvokeCount"])
	require.EqualValues(t, 2, rec["KafkaBatchInfo"].(map[string]any)["batchSize"])
	require.Equal(t, 2, k.Stats().RecordAgeExceeded)
	require.Equal(t, map[string]int64{"t-0": 3}, k.Committed())
}

// A record too large for the invocation payload alone is discarded with
// MaximumPayloadSizeExceeded; records around it are delivered in batches
// under the limit.
func TestKafkaPayloadLimit(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	big := make([]byte, 3000)
	for i := range big {
		big[i] = 'x'
	}
	produce(t, brokers, valueRecords("t", 0, "small-0", string(big), "small-2", "small-3")...)
	dest := &destinationRecorder{}
	log := newKafkaLog(nil)
	k := kafkaMapping(t, brokers, "t")
	k.MaxPayloadBytes = 2000
	k.OnFailure = dest
	batches := drainKafka(t, k, log.function())
	var ids []string
	for _, b := range batches {
		require.LessOrEqual(t, len(b.Event), 2000)
		ids = append(ids, b.IDs...)
	}
	require.Equal(t, []string{"t-0@0", "t-0@2", "t-0@3"}, ids)
	recs := dest.all()
	require.Len(t, recs, 1)
	var rec driver.KafkaInvocationRecord
	require.NoError(t, json.Unmarshal(recs[0], &rec))
	require.Equal(t, driver.KafkaMaximumPayloadSizeExceeded, rec.RequestContext.Condition)
	require.Nil(t, rec.ResponseContext)
	require.Equal(t, "1", rec.KafkaBatchInfo.RecordsInfo["t-0"].FirstRecordOffset)
	require.Equal(t, map[string]int64{"t-0": 4}, k.Committed())
}

// FilterCriteria: records that match no pattern never reach the function and
// are committed with the others; a value that is not JSON is not dropped by
// the JSON part of a pattern.
func TestKafkaFilterCriteria(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	produce(t, brokers, valueRecords("t", 0, `{"device_ID":"AB1"}`, `{"device_ID":"CD2"}`, `plain text`, `{"device_ID":"AB4"}`)...)
	log := newKafkaLog(nil)
	k := kafkaMapping(t, brokers, "t")
	k.Filter = filter.MustNew(`{"value": {"device_ID": [{"prefix": "AB"}]}}`)
	drainKafka(t, k, log.function())
	require.Equal(t, []int64{0, 2, 3}, log.handled["t-0"])
	require.Equal(t, 1, k.Stats().Filtered)
	require.Equal(t, map[string]int64{"t-0": 4}, k.Committed())
}

// A new mapping on the same consumer group resumes from the committed
// offsets, like Lambda after a restart; another group starts at the
// starting position.
func TestKafkaResumesFromConsumerGroup(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	produce(t, brokers, valueRecords("t", 0, "0", "1", "2")...)
	first := newKafkaLog(nil)
	k1 := kafkaMapping(t, brokers, "t")
	k1.ConsumerGroupID = "orders"
	drainKafka(t, k1, first.function())
	k1.Close()
	require.Equal(t, seq(0, 2), first.handled["t-0"])

	produce(t, brokers, valueRecords("t", 0, "3", "4")...)
	second := newKafkaLog(nil)
	k2 := kafkaMapping(t, brokers, "t")
	k2.ConsumerGroupID = "orders"
	drainKafka(t, k2, second.function())
	require.Equal(t, seq(3, 4), second.handled["t-0"])

	latest := newKafkaLog(nil)
	k3 := kafkaMapping(t, brokers, "t")
	k3.ConsumerGroupID = "new-group"
	k3.StartingPosition = driver.Latest
	drainKafka(t, k3, latest.function())
	require.Empty(t, latest.handled["t-0"], "LATEST skips what is already there")
}

// AT_TIMESTAMP starts at the first record at or after the timestamp.
func TestKafkaStartsAtTimestamp(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	produce(t, brokers,
		&kgo.Record{Topic: "t", Value: []byte("0"), Timestamp: base},
		&kgo.Record{Topic: "t", Value: []byte("1"), Timestamp: base.Add(time.Second)},
		&kgo.Record{Topic: "t", Value: []byte("2"), Timestamp: base.Add(2 * time.Second)},
	)
	log := newKafkaLog(nil)
	k := kafkaMapping(t, brokers, "t")
	k.StartingPosition = driver.AtTimestamp
	k.StartingPositionTimestamp = base.Add(time.Second)
	drainKafka(t, k, log.function())
	require.Equal(t, seq(1, 2), log.handled["t-0"])
}

// Infinite retries with an on-failure destination stop after 10.
func TestKafkaInfiniteRetriesWithDestinationCappedAtTen(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	produce(t, brokers, valueRecords("t", 0, "poison")...)
	dest := &destinationRecorder{}
	k := kafkaMapping(t, brokers, "t")
	k.OnFailure = dest
	batches := drainKafka(t, k, driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &driver.FunctionError{Type: "errorString", Message: "always"}
	}))
	require.Len(t, batches, 11)
	require.Len(t, dest.all(), 1)
	require.Equal(t, 10, k.Stats().Retries)
}

// Settings Lambda refuses are typed errors that name the setting.
func TestKafkaValidate(t *testing.T) {
	ok := func() *driver.Kafka { return driver.NewKafka([]string{"127.0.0.1:9092"}, "t") }
	cases := map[string]struct {
		change  func(*driver.Kafka)
		setting string
	}{
		"no brokers":        {func(k *driver.Kafka) { k.SeedBrokers = nil }, "SeedBrokers"},
		"no topic":          {func(k *driver.Kafka) { k.Topics = nil }, "Topics"},
		"batch too large":   {func(k *driver.Kafka) { k.BatchSize = 10001 }, "BatchSize"},
		"window too long":   {func(k *driver.Kafka) { k.MaximumBatchingWindow = 301 * time.Second }, "MaximumBatchingWindowInSeconds"},
		"retries below -1":  {func(k *driver.Kafka) { k.MaximumRetryAttempts = -2 }, "MaximumRetryAttempts"},
		"retries too many":  {func(k *driver.Kafka) { k.MaximumRetryAttempts = 10001 }, "MaximumRetryAttempts"},
		"age too short":     {func(k *driver.Kafka) { k.MaximumRecordAgeInSeconds = 59 }, "MaximumRecordAgeInSeconds"},
		"age too long":      {func(k *driver.Kafka) { k.MaximumRecordAgeInSeconds = 604801 }, "MaximumRecordAgeInSeconds"},
		"unknown source":    {func(k *driver.Kafka) { k.EventSource = "aws:sqs" }, "EventSource"},
		"unknown position":  {func(k *driver.Kafka) { k.StartingPosition = "EARLIEST" }, "StartingPosition"},
		"timestamp missing": {func(k *driver.Kafka) { k.StartingPosition = driver.AtTimestamp }, "StartingPositionTimestamp"},
	}
	require.NoError(t, ok().Validate())
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := ok()
			tc.change(k)
			err := k.Validate()
			require.ErrorIs(t, err, driver.ErrInvalidKafkaConfig)
			var ce *driver.KafkaConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.setting, ce.Setting)
			_, err = k.Poll(context.Background(), nil)
			require.ErrorIs(t, err, driver.ErrInvalidKafkaConfig)
		})
	}
}

// A topic that does not exist is an error that says so.
func TestKafkaMissingTopic(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	k := kafkaMapping(t, brokers, "nope")
	_, err := k.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	require.ErrorContains(t, err, `"nope"`)
}

// The batching window gathers records that arrive while it is open into one
// invocation.
func TestKafkaBatchingWindow(t *testing.T) {
	brokers := kafkaCluster(t, "t", 1)
	produce(t, brokers, valueRecords("t", 0, "first")...)
	k := kafkaMapping(t, brokers, "t")
	k.MaximumBatchingWindow = 3 * time.Second
	produced := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
		if err == nil {
			err = cl.ProduceSync(context.Background(), &kgo.Record{Topic: "t", Value: []byte("second")}).FirstErr()
			cl.Close()
		}
		produced <- err
	}()
	batches, err := k.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil }))
	require.NoError(t, err)
	require.NoError(t, <-produced)
	require.Len(t, batches, 1)
	require.Equal(t, []string{"t-0@0", "t-0@1"}, batches[0].IDs)
}
