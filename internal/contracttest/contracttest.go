// Package contracttest holds what the tests of the contract packages
// (firehose, s3batch, window) and the cross-contract tests share: AWS's
// documented sample events and the conformance vectors (testdata), event
// builders and sample handlers. Test support only.
package contracttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/s3batch"
	"github.com/batchkit/batchkit/window"
	"github.com/stretchr/testify/require"
)

// Dir is the directory of the contracts' test data: events/ (AWS's
// documented samples) and vectors/ (the conformance vectors).
var Dir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}()

// Event returns the sample event testdata/events/name.
func Event(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Dir, "events", name))
	require.NoError(t, err)
	return data
}

// Marshal returns v as JSON text.
func Marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Upper transforms a record's payload to Upper case; "fail" fails it,
// "drop" drops it, "panic" panics.
func Upper(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
	switch string(rec.Payload()) {
	case "fail":
		return firehose.Result{}, errors.New("cannot transform")
	case "drop":
		return firehose.Result{Drop: true}, nil
	case "panic":
		panic("transform blew up")
	}
	return firehose.Result{Data: bytes.ToUpper(rec.Payload())}, nil
}

// FirehoseEvent builds an event with one record per payload.
func FirehoseEvent(payloads ...string) firehose.Event {
	ev := firehose.Event{InvocationID: "inv", DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s", Region: "us-east-1"}
	for i, p := range payloads {
		ev.Records = append(ev.Records, firehose.Record{RecordID: fmt.Sprintf("rec-%d", i), ApproximateArrivalTimestamp: 1510772160000, Data: []byte(p)})
	}
	return ev
}

func Results(resp firehose.Response) []string {
	out := make([]string, len(resp.Records))
	for i, r := range resp.Records {
		out[i] = r.Result
	}
	return out
}

// s3Tasks builds a schema 2.0 event with one task per key.
func S3Event(keys ...string) s3batch.Event {
	ev := s3batch.Event{InvocationSchemaVersion: "2.0", InvocationID: "inv-1",
		Job: events.S3BatchJobV2{ID: "job-1", UserArguments: map[string]string{"mode": "copy"}}}
	for i, k := range keys {
		ev.Tasks = append(ev.Tasks, s3batch.Task{TaskID: "task-" + string(rune('a'+i)), S3Key: k, S3Bucket: "bucket"})
	}
	return ev
}

// CountByKey counts records per partition key; data "fail" fails after
// changing the state (its effect must not stay), "panic" panics.
func CountByKey(calls *atomic.Int32) func(context.Context, *map[string]int, *events.KinesisEventRecord) error {
	return func(_ context.Context, s *map[string]int, r *events.KinesisEventRecord) error {
		if calls != nil {
			calls.Add(1)
		}
		if *s == nil {
			*s = map[string]int{}
		}
		(*s)[r.Kinesis.PartitionKey]++
		switch string(r.Kinesis.Data) {
		case "fail":
			return errors.New("bad record")
		case "panic":
			panic("fold blew up")
		}
		return nil
	}
}

// SequenceNumber returns the sequence number batchtest gives the i-th
// record of a Kinesis or DynamoDB Streams event (so of WindowEvent's too):
// the identifier a test expects in a response.
func SequenceNumber(i int) string {
	return batchtest.KinesisEvent(make([]batchtest.KinesisRecord, i+1)...).Records[i].Kinesis.SequenceNumber
}

// MessageID returns the message id batchtest gives the i-th message of an
// SQS event, standard or FIFO.
func MessageID(i int) string {
	return batchtest.SQSEvent(make([]string, i+1)...).Records[i].MessageId
}

// WindowEvent builds a Kinesis window event with one record per data
// string, partition key "pk", and the given incoming state.
func WindowEvent(state string, final bool, data ...string) window.Event[events.KinesisEventRecord] {
	recs := make([]batchtest.KinesisRecord, len(data))
	for i, d := range data {
		recs[i] = batchtest.KinesisRecord{Data: d}
	}
	ev := window.Event[events.KinesisEventRecord]{Records: batchtest.KinesisEvent(recs...).Records}
	ev.Window = events.Window{Start: events.RFC3339EpochTime{Time: time.Date(2020, 12, 9, 7, 4, 0, 0, time.UTC)}, End: events.RFC3339EpochTime{Time: time.Date(2020, 12, 9, 7, 6, 0, 0, time.UTC)}}
	ev.State = json.RawMessage(state)
	ev.ShardID = "shardId-000000000000"
	ev.EventSourceARN = "arn:aws:kinesis:us-east-1:123456789012:stream/test-stream"
	ev.IsFinalInvokeForWindow = final
	return ev
}

// ProcessKinesisWindow runs a decoded Kinesis window event with
// window.Process.
func ProcessKinesisWindow[S any](ctx context.Context, p *window.Processor[events.KinesisEventRecord], ev window.Event[events.KinesisEventRecord], agg window.Aggregate[events.KinesisEventRecord, S]) (window.Response, error) {
	return window.Process(ctx, p, ev, agg)
}

// ProcessDynamoDBWindow runs a decoded DynamoDB Streams window event with
// window.Process.
func ProcessDynamoDBWindow[S any](ctx context.Context, p *window.Processor[events.DynamoDBEventRecord], ev window.Event[events.DynamoDBEventRecord], agg window.Aggregate[events.DynamoDBEventRecord, S]) (window.Response, error) {
	return window.Process(ctx, p, ev, agg)
}

// KinesisWindowRaw runs a Kinesis window event as Lambda sends it, through
// window.KinesisHandler (the raw entry's one way in).
func KinesisWindowRaw[S any](ctx context.Context, p *window.Processor[events.KinesisEventRecord], event []byte, agg window.Aggregate[events.KinesisEventRecord, S]) (window.Response, error) {
	return window.KinesisHandler(p, agg)(ctx, event)
}

// DynamoDBWindowRaw runs a DynamoDB Streams window event as Lambda sends
// it, through window.DynamoDBHandler.
func DynamoDBWindowRaw[S any](ctx context.Context, p *window.Processor[events.DynamoDBEventRecord], event []byte, agg window.Aggregate[events.DynamoDBEventRecord, S]) (window.Response, error) {
	return window.DynamoDBHandler(p, agg)(ctx, event)
}

func FailureIDs(resp core.Response) []core.Identifier {
	ids := make([]core.Identifier, len(resp.BatchItemFailures))
	for i, f := range resp.BatchItemFailures {
		ids[i] = f.ItemIdentifier
	}
	return ids
}

func JSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

// PipesKinesisEvent flattens each record's kinesis object into the record,
// as EventBridge Pipes delivers it.
func PipesKinesisEvent(t testing.TB, recs []events.KinesisEventRecord) []byte {
	var nested []map[string]any
	require.NoError(t, json.Unmarshal(JSON(t, recs), &nested))
	for _, r := range nested {
		for k, v := range r["kinesis"].(map[string]any) {
			r[k] = v
		}
		delete(r, "kinesis")
	}
	return JSON(t, nested)
}

var ErrFuzz = errors.New("fuzz: odd-length identifier")

// CheckNoLostRecord runs the entry with a handler that fails records whose
// identifier has an odd length, and checks every identifiable record is
// accounted for. The processors return the failure list even when every
// record failed, so that the check applies to all-failed batches too.
func CheckNoLostRecord(t testing.TB, event []byte, idPath []string, run func(context.Context, func(string) error) (core.Response, error)) {
	succeeded := map[string]bool{}
	resp, err := run(context.Background(), func(id string) error {
		if len(id)%2 == 1 {
			return ErrFuzz
		}
		succeeded[id] = true
		return nil
	})
	if err != nil {
		return // the invocation fails: Lambda retries the whole batch
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier.ID == "" {
			t.Fatalf("empty identifier reported: %+v", resp)
		}
		failed[f.ItemIdentifier.ID] = true
	}
	for _, id := range Identifiers(event, idPath) {
		if !succeeded[id] && !failed[id] {
			t.Fatalf("record %q lost: neither handled successfully nor reported failed (response %+v, err %v)", id, resp, err)
		}
	}
}

// Identifiers reads, with encoding/json, the identifier of every record of
// the event that has one.
func Identifiers(event []byte, path []string) []string {
	var e struct {
		Records []json.RawMessage
	}
	if json.Unmarshal(event, &e) != nil {
		return nil
	}
	var ids []string
	for _, r := range e.Records {
		cur := r
		ok := true
		for _, key := range path[:len(path)-1] {
			var m map[string]json.RawMessage
			if json.Unmarshal(cur, &m) != nil {
				ok = false
				break
			}
			cur = m[key]
		}
		if !ok {
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(cur, &m) != nil {
			continue
		}
		var id string
		if json.Unmarshal(m[path[len(path)-1]], &id) == nil && id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
