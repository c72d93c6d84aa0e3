package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// corrupt marshals event, lets edit change its records (as generic JSON),
// and returns the bytes: a way to produce records the raw entry cannot
// decode from real events.
func corrupt(t *testing.T, event any, edit func(recs []map[string]any)) []byte {
	t.Helper()
	data, err := json.Marshal(event)
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(data, &ev))
	raw := ev["Records"].([]any)
	recs := make([]map[string]any, len(raw))
	for i := range raw {
		recs[i] = raw[i].(map[string]any)
	}
	edit(recs)
	data, err = json.Marshal(ev)
	require.NoError(t, err)
	return data
}

// ranLog records the handled records by an identifier.
type ranLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *ranLog) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
}

// Issue 10 item 3: a record the raw entry cannot decode stops the later
// records of its own group or key, read from its bytes; when the key cannot
// be read, every later keyed record is stopped (the safe side).
func TestRawUndecodableRecordKeepsOrder(t *testing.T) {
	fifo := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "g1", Body: "0"},
		batchtest.FIFOMessage{Group: "g1", Body: "1"}, // broken
		batchtest.FIFOMessage{Group: "g2", Body: "2"},
		batchtest.FIFOMessage{Group: "g1", Body: "3"},
		batchtest.FIFOMessage{Group: "g2", Body: "4"},
	)
	breakBody := func(drop bool) func([]map[string]any) {
		return func(recs []map[string]any) {
			recs[1]["body"] = 17 // not a string: does not decode
			if drop {
				recs[1]["attributes"] = "unreadable"
			}
		}
	}
	kin := batchtest.KinesisEvent(
		batchtest.KinesisRecord{PartitionKey: "k1", Data: "0"},
		batchtest.KinesisRecord{PartitionKey: "k1", Data: "1"},
		batchtest.KinesisRecord{PartitionKey: "k2", Data: "2"},
		batchtest.KinesisRecord{PartitionKey: "k1", Data: "3"},
	)
	breakData := func(drop bool) func([]map[string]any) {
		return func(recs []map[string]any) {
			k := recs[1]["kinesis"].(map[string]any)
			k["data"] = "%%% not base64"
			if drop {
				delete(k, "partitionKey")
			}
		}
	}
	s := events.NewStringAttribute
	ddb := batchtest.DynamoDBEvent(
		batchtest.Insert("a", map[string]events.DynamoDBAttributeValue{"v": s("0")}),
		batchtest.Insert("a", map[string]events.DynamoDBAttributeValue{"v": s("1")}),
		batchtest.Insert("b", map[string]events.DynamoDBAttributeValue{"v": s("2")}),
		batchtest.Insert("a", map[string]events.DynamoDBAttributeValue{"v": s("3")}),
	)
	breakImage := func(drop bool) func([]map[string]any) {
		return func(recs []map[string]any) {
			d := recs[1]["dynamodb"].(map[string]any)
			d["NewImage"] = map[string]any{"v": map[string]any{"XX": "unknown type"}}
			if drop {
				delete(d, "Keys")
			}
		}
	}
	sqsRun := func(p core.PartialProcessor[events.SQSMessage]) func(context.Context, []byte, *ranLog) (core.Response, error) {
		return func(ctx context.Context, ev []byte, l *ranLog) (core.Response, error) {
			return processors.SQSHandler(p, func(_ context.Context, m *events.SQSMessage) error { l.add(m.Body); return nil })(ctx, ev)
		}
	}
	kinRun := func(p core.PartialProcessor[events.KinesisEventRecord]) func(context.Context, []byte, *ranLog) (core.Response, error) {
		return func(ctx context.Context, ev []byte, l *ranLog) (core.Response, error) {
			return processors.KinesisHandler(p, func(_ context.Context, r *events.KinesisEventRecord) error {
				l.add(string(r.Kinesis.Data))
				return nil
			})(ctx, ev)
		}
	}
	ddbRun := func(p core.PartialProcessor[events.DynamoDBEventRecord]) func(context.Context, []byte, *ranLog) (core.Response, error) {
		return func(ctx context.Context, ev []byte, l *ranLog) (core.Response, error) {
			return processors.DynamoDBHandler(p, func(_ context.Context, r *events.DynamoDBEventRecord) error {
				l.add(r.Change.NewImage["v"].String())
				return nil
			})(ctx, ev)
		}
	}
	msgID := func(i int) string { return fifo.Records[i].MessageId }
	kinSeq := func(i int) string { return kin.Records[i].Kinesis.SequenceNumber }
	ddbSeq := func(i int) string { return ddb.Records[i].Change.SequenceNumber }
	ids := func(f func(int) string, is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, f(i))
		}
		return out
	}
	for _, conc := range []int{1, 4} {
		fifoP := core.Must(processors.NewSQSFIFO(processors.Config{Options: core.Options{Concurrency: conc}, SkipGroupOnError: true}))
		kinP := core.Must(processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: conc}, StopOnFirstFailure: true, OrderByKey: true}))
		ddbP := core.Must(processors.NewDynamoDB(processors.Config{Options: core.Options{Concurrency: conc}, StopOnFirstFailure: true, OrderByKey: true}))
		tests := []struct {
			name       string
			event      []byte
			run        func(context.Context, []byte, *ranLog) (core.Response, error)
			wantRan    []string
			wantFailed []string
		}{
			{"FIFO group read", corrupt(t, fifo, breakBody(false)), sqsRun(fifoP), []string{"0", "2", "4"}, ids(msgID, 1, 3)},
			{"FIFO group unreadable", corrupt(t, fifo, breakBody(true)), sqsRun(fifoP), []string{"0"}, ids(msgID, 1, 2, 3, 4)},
			{"Kinesis key read", corrupt(t, kin, breakData(false)), kinRun(kinP), []string{"0", "2"}, ids(kinSeq, 1, 3)},
			{"Kinesis key unreadable", corrupt(t, kin, breakData(true)), kinRun(kinP), []string{"0"}, ids(kinSeq, 1, 2, 3)},
			{"DynamoDB keys read", corrupt(t, ddb, breakImage(false)), ddbRun(ddbP), []string{"0", "2"}, ids(ddbSeq, 1, 3)},
			{"DynamoDB keys unreadable", corrupt(t, ddb, breakImage(true)), ddbRun(ddbP), []string{"0"}, ids(ddbSeq, 1, 2, 3)},
		}
		for _, tt := range tests {
			t.Run(tt.name+"/concurrency "+strconv.Itoa(conc), func(t *testing.T) {
				l := &ranLog{}
				resp, err := tt.run(context.Background(), tt.event, l)
				require.NoError(t, err)
				require.ElementsMatch(t, tt.wantRan, l.ids)
				require.Equal(t, tt.wantFailed, batchtest.FailedIDs(resp))
			})
		}
	}
}

// Issue 10 item 4: a Kafka record without a topic takes its topic-partition
// from the event's key: the later offsets of its partition wait for it and
// stop at its failure, and it is reported by that partition.
func TestKafkaRecordWithoutTopicKeepsItsPartitionOrder(t *testing.T) {
	event := events.KafkaEvent{EventSource: "aws:kafka", Records: map[string][]events.KafkaRecord{
		"orders-0": {{Offset: 5}, {Topic: "orders", Partition: 0, Offset: 6}, {Topic: "orders", Partition: 0, Offset: 7}},
		"orders-1": {{Topic: "orders", Partition: 1, Offset: 1}},
	}}
	for _, conc := range []int{1, 4} {
		var l ranLog
		resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: conc}})), event,
			func(_ context.Context, r *events.KafkaRecord) error {
				l.add(fmt.Sprintf("%s-%d", r.Topic, r.Partition) + "@" + strconv.FormatInt(r.Offset, 10))
				if r.Offset == 5 {
					return errors.New("boom")
				}
				return nil
			})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"orders-0@5", "orders-1@1"}, l.ids)
		require.Equal(t, []core.Identifier{core.KafkaID("orders-0", 5)}, resp.Identifiers())
	}
	require.Empty(t, event.Records["orders-0"][0].Topic, "the event is not modified")

	// Straight to core.Process, without the event's key: the record cannot
	// be placed, so it and every later record are stopped and the
	// invocation fails (the whole batch is retried, nothing lost).
	recs := []events.KafkaRecord{{Topic: "t", Offset: 1}, {Offset: 2}, {Topic: "t", Offset: 3}}
	var l ranLog
	_, err := core.Process(context.Background(), core.Must(processors.NewKafka(processors.Config{})), recs,
		func(_ context.Context, r *events.KafkaRecord) error {
			l.add(strconv.FormatInt(r.Offset, 10))
			return nil
		})
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
	require.ErrorIs(t, err, core.ErrDecode)
	var rde *core.RecordDecodeError
	require.ErrorAs(t, err, &rde)
	require.ErrorContains(t, rde, "no topic")
	require.Equal(t, []string{"1"}, l.ids)
}

// countingHook counts the batches it sees end, with their errors.
type countingHook struct {
	core.NopHook
	mu   sync.Mutex
	errs []error
}

func (h *countingHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, res.Err)
	return nil
}

// Issue 10 item 8: invocations refused before any handler runs reach the
// hooks with their error: an event-source mismatch, a raw event without
// records, a Kafka event from another source.
func TestRefusedInvocationsReachHooks(t *testing.T) {
	h := &countingHook{}
	sqs := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Hooks: []core.Hook{h}}}))
	mismatched := batchtest.SQSEvent("a", "b").Records
	mismatched[1].EventSource = "aws:kinesis"
	_, err := core.Process(context.Background(), sqs, mismatched, failBodies)
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
	_, err = processors.SQSHandler(sqs, failBodies)(context.Background(), []byte(`{"records":[]}`))
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	kafka := core.Must(processors.NewKafka(processors.Config{Options: core.Options{Hooks: []core.Hook{h}}}))
	_, err = processors.ProcessKafka(context.Background(), kafka, kafkaEvent(t, "aws:sqs", batchtest.KafkaMessage{Topic: "t"}),
		func(context.Context, *events.KafkaRecord) error { return nil })
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
	require.Len(t, h.errs, 3)
	require.ErrorIs(t, h.errs[0], core.ErrEventSourceMismatch)
	require.ErrorIs(t, h.errs[1], core.ErrUnexpectedBatchType)
	require.ErrorIs(t, h.errs[2], core.ErrEventSourceMismatch)
}
