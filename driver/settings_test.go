package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
	"github.com/batchkit/batchkit/processors"
)

// putted is one record put on a stream.
type putted struct{ seq, key, data string }

// putRecords puts records with data and partition keys, in order, one call
// each so that their order on the shard is the put order.
func putRecords(t *testing.T, c *kinesis.Client, stream string, data, keys []string) []putted {
	t.Helper()
	out := make([]putted, len(data))
	for i := range data {
		p, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String(stream), Data: []byte(data[i]), PartitionKey: aws.String(keys[i])})
		require.NoError(t, err)
		out[i] = putted{aws.ToString(p.SequenceNumber), keys[i], data[i]}
	}
	return out
}

// receiveAll reads every message of a queue (deleting them).
func receiveAll(t *testing.T, c *sqs.Client, url string) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			_, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}

// recorder is an in-process Kinesis function that fails on poison records
// and remembers which records it processed successfully, in order.
type recorder struct {
	mu        sync.Mutex
	processed []putted // records of the successful invocations, in order
	calls     int
}

// wholeBatch fails the whole invocation when a record's data is "poison".
func (r *recorder) wholeBatch() driver.Function {
	return driver.Handler(func(_ context.Context, e events.KinesisEvent) (core.Response, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		for _, rec := range e.Records {
			if string(rec.Kinesis.Data) == "poison" {
				return core.Response{}, errors.New("poison record")
			}
		}
		for _, rec := range e.Records {
			r.processed = append(r.processed, putted{rec.Kinesis.SequenceNumber, rec.Kinesis.PartitionKey, string(rec.Kinesis.Data)})
		}
		return core.Response{}, nil
	})
}

// partial processes with batchkit, stopping at the first poison record
// (which reports it and every record after it).
func (r *recorder) partial() driver.Function {
	p := core.Must(processors.NewKinesis(processors.Config{StopOnFirstFailure: true}))
	return driver.Handler(func(ctx context.Context, e events.KinesisEvent) (core.Response, error) {
		r.mu.Lock()
		r.calls++
		r.mu.Unlock()
		return core.Process(ctx, p, e.Records, func(_ context.Context, rec *events.KinesisEventRecord) error {
			if string(rec.Kinesis.Data) == "poison" {
				return errors.New("poison record")
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			r.processed = append(r.processed, putted{rec.Kinesis.SequenceNumber, rec.Kinesis.PartitionKey, string(rec.Kinesis.Data)})
			return nil
		})
	})
}

// requireOncePerKeyInOrder checks that every record but the poison ones was
// processed exactly once, and each partition key's records in put order.
func requireOncePerKeyInOrder(t *testing.T, put, processed []putted) {
	t.Helper()
	count := map[string]int{}
	for _, p := range processed {
		count[p.seq]++
	}
	for _, p := range put {
		if p.data == "poison" {
			require.Zero(t, count[p.seq], "the poison record never succeeds")
			continue
		}
		require.Equal(t, 1, count[p.seq], "record %s (%s) processed exactly once", p.seq, p.data)
	}
	perKey := func(recs []putted) map[string][]string {
		m := map[string][]string{}
		for _, r := range recs {
			if r.data != "poison" {
				m[r.key] = append(m[r.key], r.seq)
			}
		}
		return m
	}
	require.Equal(t, perKey(put), perKey(processed), "each partition key in order")
}

// onFailureRecord decodes the only invocation record of the queue.
func onFailureRecords(t *testing.T, c *sqs.Client, url string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, body := range receiveAll(t, c, url) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		recs = append(recs, m)
	}
	return recs
}

// A poison record in a Kinesis batch, with BisectBatchOnFunctionError and 2
// retries: the batch is halved down to the poison record, which is invoked 3
// times and then sent to the on-failure queue with its sequence range; every
// other record is processed exactly once, in order per partition key.
func TestKinesisBisectRetriesOnFailure(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	qc := sqsClient(t)
	tests := []struct {
		name           string
		fn             func(*recorder) driver.Function
		wantBisections int
	}{
		// 8 -> 4+4 -> 2+2 -> 1+1: three splits on the way to the poison.
		{"function error halves the batch", (*recorder).wholeBatch, 3},
		// The response reports the poison: the batch is split there (r0-r4
		// done), then [poison r6 r7] reported at its first record is halved:
		// [poison r6] and [r7], then [poison] and [r6].
		{"partial response splits at the sequence number", (*recorder).partial, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := name("bisect")
			createStream(t, kc, stream, 1)
			dlqURL, _ := createQueue(t, qc, name("on-failure"), nil)
			data := make([]string, 12)
			keys := make([]string, 12)
			for i := range data {
				data[i], keys[i] = fmt.Sprintf("r%d", i), fmt.Sprintf("k%d", i%3)
			}
			data[5] = "poison"
			put := putRecords(t, kc, stream, data, keys)

			rec := &recorder{}
			d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 8, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true,
				BisectBatchOnFunctionError: true,
				MaximumRetryAttempts:       aws.Int(2),
				OnFailure:                  &driver.SQSDestination{Client: qc, QueueURL: dlqURL},
				FunctionARN:                "arn:aws:lambda:us-east-1:000000000000:function:orders",
			}}
			batches, err := driver.Drain(context.Background(), d, tt.fn(rec), 2)
			require.NoError(t, err)
			requireOncePerKeyInOrder(t, put, rec.processed)

			var discarded []*driver.InvocationRecord
			for _, b := range batches {
				if b.Discarded != nil {
					discarded = append(discarded, b.Discarded)
					require.Equal(t, 3, b.Attempt, "the last of 1 + 2 retries")
				}
			}
			require.Len(t, discarded, 1)
			recs := onFailureRecords(t, qc, dlqURL)
			require.Len(t, recs, 1, "one invocation record")
			r := recs[0]
			require.Equal(t, "1.0", r["version"])
			rc := r["requestContext"].(map[string]any)
			require.Equal(t, "RetryAttemptsExhausted", rc["condition"])
			require.EqualValues(t, 3, rc["approximateInvokeCount"], "MaximumRetryAttempts + 1")
			require.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:orders", rc["functionArn"])
			require.NotEmpty(t, rc["requestId"])
			resp := r["responseContext"].(map[string]any)
			require.EqualValues(t, 200, resp["statusCode"])
			require.Equal(t, "$LATEST", resp["executedVersion"])
			info := r["KinesisBatchInfo"].(map[string]any)
			require.Equal(t, put[5].seq, info["startSequenceNumber"])
			require.Equal(t, put[5].seq, info["endSequenceNumber"])
			require.EqualValues(t, 1, info["batchSize"])
			require.Equal(t, "shardId-000000000000", info["shardId"])
			require.True(t, strings.HasSuffix(info["streamArn"].(string), "/"+stream))
			_, err = time.Parse(time.RFC3339, info["approximateArrivalOfFirstRecord"].(string))
			require.NoError(t, err)
			require.NotContains(t, r, "DDBStreamBatchInfo")

			s := d.Stats()
			require.Equal(t, tt.wantBisections, s.Bisections)
			require.Equal(t, 1, s.OnFailure)
			require.Equal(t, 11, s.Succeeded)
			require.Equal(t, 12, s.Records)
			require.Equal(t, s.Invocations, s.Batches+s.Retries)
		})
	}
}

// Without bisection, a whole-batch failure retries the same batch; an
// identifier that is not in the batch fails it whole and counts as a retry.
// MaximumRetryAttempts 0 sends the batch on at its first failure.
func TestKinesisRetryLimit(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	qc := sqsClient(t)
	tests := []struct {
		name    string
		retries int
		respond []byte
	}{
		{"unknown identifier, 1 retry", 1, []byte(`{"batchItemFailures":[{"itemIdentifier":"not-a-sequence-number"}]}`)},
		{"function error, no retry", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := name("retry")
			createStream(t, kc, stream, 1)
			dlqURL, _ := createQueue(t, qc, name("on-failure"), nil)
			put := putRecords(t, kc, stream, []string{"a", "b", "c"}, []string{"k", "k", "k"})
			var calls atomic.Int32
			fn := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
				if calls.Add(1); tt.respond != nil {
					return tt.respond, nil
				}
				return nil, &driver.FunctionError{Type: "errorString", Message: "boom"}
			})
			d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 10, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true,
				BisectBatchOnFunctionError: tt.respond != nil, // an invalid response is not bisected
				MaximumRetryAttempts:       aws.Int(tt.retries),
				OnFailure:                  &driver.SQSDestination{Client: qc, QueueURL: dlqURL},
			}}
			_, err := driver.Drain(context.Background(), d, fn, 2)
			require.NoError(t, err)
			require.EqualValues(t, tt.retries+1, calls.Load())
			recs := onFailureRecords(t, qc, dlqURL)
			require.Len(t, recs, 1)
			info := recs[0]["KinesisBatchInfo"].(map[string]any)
			require.Equal(t, put[0].seq, info["startSequenceNumber"])
			require.Equal(t, put[2].seq, info["endSequenceNumber"])
			require.EqualValues(t, 3, info["batchSize"])
			require.EqualValues(t, tt.retries+1, recs[0]["requestContext"].(map[string]any)["approximateInvokeCount"])
			require.Equal(t, 0, d.Stats().Bisections)
		})
	}
}

// Records older than MaximumRecordAgeInSeconds are discarded without an
// invocation; the invocation record says RecordAgeExceeded and has no
// response context.
func TestKinesisMaximumRecordAge(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	qc := sqsClient(t)
	stream := name("age")
	createStream(t, kc, stream, 1)
	dlqURL, _ := createQueue(t, qc, name("on-failure"), nil)
	old := putRecords(t, kc, stream, []string{"old-1", "old-2"}, []string{"a", "b"})
	time.Sleep(3500 * time.Millisecond)
	fresh := putRecords(t, kc, stream, []string{"new"}, []string{"a"})
	rec := &recorder{}
	d := &driver.Kinesis{Client: kc, StreamName: stream, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true,
		MaximumRecordAge: 3 * time.Second,
		OnFailure:        &driver.SQSDestination{Client: qc, QueueURL: dlqURL},
	}}
	batches, err := driver.Drain(context.Background(), d, rec.wholeBatch(), 2)
	require.NoError(t, err)
	require.Equal(t, []putted{fresh[0]}, rec.processed)
	require.Equal(t, 1, rec.calls, "the old records were never invoked")
	require.Nil(t, batches[0].Event)
	require.Equal(t, []string{old[0].seq, old[1].seq}, batches[0].IDs)
	recs := onFailureRecords(t, qc, dlqURL)
	require.Len(t, recs, 1)
	require.Equal(t, "RecordAgeExceeded", recs[0]["requestContext"].(map[string]any)["condition"])
	require.NotContains(t, recs[0], "responseContext")
	info := recs[0]["KinesisBatchInfo"].(map[string]any)
	require.Equal(t, old[0].seq, info["startSequenceNumber"])
	require.Equal(t, old[1].seq, info["endSequenceNumber"])
	require.Equal(t, 2, d.Stats().RecordAgeExceeded)
}

// ParallelizationFactor 4 on one shard: up to 4 batches in flight at once,
// and each partition key's records in order, each once.
func TestKinesisParallelizationFactor(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("parallel")
	createStream(t, kc, stream, 1)
	data, keys := make([]string, 48), make([]string, 48)
	for i := range data {
		data[i], keys[i] = fmt.Sprintf("r%d", i), fmt.Sprintf("key-%d", i%8)
	}
	put := putRecords(t, kc, stream, data, keys)
	var inFlight, most atomic.Int32
	rec := &recorder{}
	inner := rec.wholeBatch()
	fn := driver.FunctionFunc(func(ctx context.Context, ev []byte) ([]byte, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		return inner.Invoke(ctx, ev)
	})
	d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 3, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, ParallelizationFactor: 4}}
	batches, err := driver.Drain(context.Background(), d, fn, 2)
	require.NoError(t, err)
	requireOncePerKeyInOrder(t, put, rec.processed)
	require.Greater(t, most.Load(), int32(1), "batches of one shard ran concurrently")
	require.LessOrEqual(t, most.Load(), int32(4))
	for _, b := range batches {
		var ev events.KinesisEvent
		require.NoError(t, json.Unmarshal(b.Event, &ev))
		require.LessOrEqual(t, len(ev.Records), 3)
	}
}

// StartingPosition AT_TIMESTAMP starts at the records that arrived at or
// after the timestamp; LATEST at the records put after the first poll.
func TestKinesisStartingPosition(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("start")
	createStream(t, kc, stream, 1)
	putRecords(t, kc, stream, []string{"before-1", "before-2"}, []string{"k", "k"})
	time.Sleep(1100 * time.Millisecond)
	ts := time.Now()
	after := putRecords(t, kc, stream, []string{"after-1", "after-2"}, []string{"k", "k"})

	rec := &recorder{}
	d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.AtTimestamp, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, StartingPositionTimestamp: ts}}
	_, err := driver.Drain(context.Background(), d, rec.wholeBatch(), 2)
	require.NoError(t, err)
	require.Equal(t, after, rec.processed)

	latest := &recorder{}
	l := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.Latest, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	_, err = driver.Drain(context.Background(), l, latest.wholeBatch(), 1)
	require.NoError(t, err)
	require.Empty(t, latest.processed)
	last := putRecords(t, kc, stream, []string{"latest"}, []string{"k"})
	_, err = driver.Drain(context.Background(), l, latest.wholeBatch(), 2)
	require.NoError(t, err)
	require.Equal(t, last, latest.processed)
}

// MaximumBatchingWindowInSeconds gathers records put during the window into
// one invocation.
func TestKinesisBatchingWindow(t *testing.T) {
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("window")
	createStream(t, kc, stream, 1)
	putRecords(t, kc, stream, []string{"1", "2"}, []string{"k", "k"})
	go func() {
		time.Sleep(300 * time.Millisecond)
		for _, s := range []string{"3", "4"} {
			_, _ = kc.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String(stream), Data: []byte(s), PartitionKey: aws.String("k")})
		}
	}()
	rec := &recorder{}
	d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 4, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, MaximumBatchingWindow: 2 * time.Second}}
	start := time.Now()
	batches, err := d.Poll(context.Background(), rec.wholeBatch())
	require.NoError(t, err)
	require.Len(t, batches, 1)
	require.Len(t, batches[0].IDs, 4, "the records put during the window are in the batch")
	require.Less(t, time.Since(start), 2*time.Second, "a full batch does not wait for the window's end")
}

// Records of about 1 MB: no event exceeds Lambda's 6 MB payload limit, and
// every record is delivered once.
func TestKinesisPayloadLimit(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("payload")
	createStream(t, kc, stream, 1)
	big := strings.Repeat("x", 900*1024)
	data, keys := make([]string, 10), make([]string, 10)
	for i := range data {
		data[i], keys[i] = fmt.Sprint(i)+big, "k"
	}
	put := putRecords(t, kc, stream, data, keys)
	rec := &recorder{}
	d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 100, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	batches, err := driver.Drain(context.Background(), d, rec.wholeBatch(), 2)
	require.NoError(t, err)
	require.Greater(t, len(batches), 1)
	for _, b := range batches {
		require.LessOrEqual(t, len(b.Event), driver.MaxPayload)
	}
	requireOncePerKeyInOrder(t, put, rec.processed)
}

// TumblingWindowInSeconds: the state the function returns comes back in its
// next invocation of the window; after the window ends a final invocation
// without records carries the whole window's state. A response without
// state fails the invocation, which is retried.
func TestKinesisTumblingWindow(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("tumbling")
	createStream(t, kc, stream, 1)
	putRecords(t, kc, stream, []string{"1", "2", "3", "4", "5"}, []string{"k", "k", "k", "k", "k"})
	type tw struct {
		Records []events.KinesisEventRecord `json:"Records"`
		Window  struct{ Start, End time.Time }
		State   map[string]int `json:"state"`
		ShardID string         `json:"shardId"`
		ARN     string         `json:"eventSourceARN"`
		Final   bool           `json:"isFinalInvokeForWindow"`
		Early   bool           `json:"isWindowTerminatedEarly"`
	}
	var seen []tw
	var final *tw
	forgot := false
	fn := driver.Handler(func(_ context.Context, e tw) (map[string]any, error) {
		seen = append(seen, e)
		if e.Final {
			final = &e
			return map[string]any{"state": map[string]int{}}, nil
		}
		if !forgot {
			forgot = true
			return map[string]any{"batchItemFailures": []any{}}, nil // no state: failed
		}
		// A new map: seen keeps the state as it came.
		return map[string]any{"state": map[string]int{"count": e.State["count"] + len(e.Records)}}, nil
	})
	d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 2, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, TumblingWindow: 2 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for final == nil {
		require.NoError(t, ctx.Err(), "no final invocation")
		batches, err := d.Poll(ctx, fn)
		require.NoError(t, err)
		for _, b := range batches {
			if b.Attempt == 1 && len(seen) == 1 {
				require.ErrorIs(t, b.Err, driver.ErrWholeBatchFailed, "a response without state fails")
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, final.Final)
	require.False(t, final.Early)
	require.Empty(t, final.Records)
	require.Equal(t, "shardId-000000000000", final.ShardID)
	require.True(t, strings.HasSuffix(final.ARN, "/"+stream))
	require.Equal(t, 2*time.Second, final.Window.End.Sub(final.Window.Start))
	// Each invocation of a window receives the state its previous one
	// returned; the final one carries the count of all the window's
	// records. (The records may straddle two windows.)
	running := map[time.Time]int{}
	total := 0
	for _, e := range seen[1:] { // seen[0] failed: its state was not kept
		require.Equal(t, running[e.Window.Start], e.State["count"], "the state returned last comes back")
		if e.Final {
			total += e.State["count"]
			if e.Window.Start.Equal(final.Window.Start) {
				break
			}
			continue
		}
		running[e.Window.Start] += len(e.Records)
	}
	require.Positive(t, total)
	require.Equal(t, running[final.Window.Start], final.State["count"])
}

// A state over 1 MB terminates the window early: the next invocation is the
// final one of the window (isWindowTerminatedEarly) with that state, then
// the same window goes on with a fresh state.
func TestKinesisTumblingWindowTerminatedEarly(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("early")
	createStream(t, kc, stream, 1)
	putRecords(t, kc, stream, []string{"1", "2", "3", "4"}, []string{"k", "k", "k", "k"})
	type tw struct {
		Records []events.KinesisEventRecord `json:"Records"`
		Window  struct{ Start time.Time }
		State   map[string]string `json:"state"`
		Final   bool              `json:"isFinalInvokeForWindow"`
		Early   bool              `json:"isWindowTerminatedEarly"`
	}
	var seen []tw
	big := strings.Repeat("x", 1<<20)
	fn := driver.Handler(func(_ context.Context, e tw) (map[string]any, error) {
		seen = append(seen, e)
		if len(seen) == 1 {
			return map[string]any{"state": map[string]string{"big": big}}, nil
		}
		return map[string]any{"state": map[string]string{"n": fmt.Sprint(len(e.Records))}}, nil
	})
	// A window long enough not to end during the test.
	d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 2, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, TumblingWindow: 15 * time.Minute}}
	for range 3 {
		_, err := d.Poll(context.Background(), fn)
		require.NoError(t, err)
	}
	require.Len(t, seen, 3)
	require.Len(t, seen[0].Records, 2)
	require.False(t, seen[0].Final)
	require.True(t, seen[1].Final, "the state outgrew 1 MB: final invocation")
	require.True(t, seen[1].Early)
	require.Empty(t, seen[1].Records)
	require.Equal(t, big, seen[1].State["big"], "the final invocation carries the state")
	require.False(t, seen[2].Final)
	require.Len(t, seen[2].Records, 2)
	require.Empty(t, seen[2].State, "the window goes on with a fresh state")
	require.Equal(t, seen[0].Window.Start, seen[2].Window.Start, "in the same window")
}

// A shard split mid-stream: the children are read once the parent is done,
// so a partition key's records stay in order across the split, each once.
func TestKinesisShardSplitKeepsOrder(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("split")
	createStream(t, kc, stream, 1)
	keys := []string{"k", "k", "k", "k", "k", "k"}
	before := putRecords(t, kc, stream, []string{"1", "2", "3"}, keys[:3])

	rec := &recorder{}
	d := &driver.Kinesis{Client: kc, StreamName: stream, BatchSize: 2, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	// One batch of the parent before the split.
	_, err := d.Poll(context.Background(), rec.wholeBatch())
	require.NoError(t, err)

	out, err := kc.DescribeStream(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
	require.NoError(t, err)
	_, err = kc.SplitShard(context.Background(), &kinesis.SplitShardInput{
		StreamName: aws.String(stream), ShardToSplit: out.StreamDescription.Shards[0].ShardId,
		NewStartingHashKey: aws.String("170141183460469231731687303715884105728"),
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		out, err := kc.DescribeStream(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
		return err == nil && out.StreamDescription.StreamStatus == "ACTIVE" && len(out.StreamDescription.Shards) == 3
	}, 10*time.Second, 50*time.Millisecond)
	after := putRecords(t, kc, stream, []string{"4", "5", "6"}, keys[3:])

	_, err = driver.Drain(context.Background(), d, rec.wholeBatch(), 2)
	require.NoError(t, err)
	require.Equal(t, append(before, after...), rec.processed, "the parent's records, then the child's")
}

// When its shard ends (a split), a tumbling window closes: its final
// invocation comes without waiting for the window's end.
func TestKinesisTumblingWindowClosesAtShardEnd(t *testing.T) {
	t.Parallel()
	kc := driver.NewKinesisClient(testenv.Endpoint(t, "BATCHKIT_KINESIS_ENDPOINT", "kinesalite"))
	stream := name("window-split")
	createStream(t, kc, stream, 1)
	putRecords(t, kc, stream, []string{"1", "2"}, []string{"k", "k"})
	type tw struct {
		Records []json.RawMessage `json:"Records"`
		State   map[string]int    `json:"state"`
		ShardID string            `json:"shardId"`
		Final   bool              `json:"isFinalInvokeForWindow"`
	}
	var finals []tw
	fn := driver.Handler(func(_ context.Context, e tw) (map[string]any, error) {
		if e.Final {
			finals = append(finals, e)
		}
		e.State["n"] += len(e.Records)
		return map[string]any{"state": e.State}, nil
	})
	d := &driver.Kinesis{Client: kc, StreamName: stream, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, TumblingWindow: 15 * time.Minute}}
	_, err := d.Poll(context.Background(), fn)
	require.NoError(t, err)
	out, err := kc.DescribeStream(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
	require.NoError(t, err)
	parent := aws.ToString(out.StreamDescription.Shards[0].ShardId)
	_, err = kc.SplitShard(context.Background(), &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String(parent), NewStartingHashKey: aws.String("170141183460469231731687303715884105728")})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		out, err := kc.DescribeStream(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
		return err == nil && out.StreamDescription.StreamStatus == "ACTIVE"
	}, 10*time.Second, 50*time.Millisecond)
	for range 3 {
		_, err = d.Poll(context.Background(), fn)
		require.NoError(t, err)
	}
	require.Len(t, finals, 1, "the parent's window closed with the shard")
	require.Equal(t, parent, finals[0].ShardID)
	require.Equal(t, 2, finals[0].State["n"])
	require.False(t, d.Pending())
}
