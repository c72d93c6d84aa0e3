package driver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// Lambda treats as a complete success of a stream batch an empty or null
// batchItemFailures list and an empty or null response; "" and [] are empty
// responses too. Anything else that is not an object fails the batch.
func TestStreamCompleteSuccessForms(t *testing.T) {
	forms := []string{``, `null`, `{}`, `{"batchItemFailures":[]}`, `{"batchItemFailures":null}`, `""`, `[]`, ` [ ] `}
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			f := &fakeKinesis{seqs: []string{"1", "2", "3", "4"}}
			d := &driver.Kinesis{Client: f, StreamName: "s", BatchSize: 2, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
			var firsts []string
			fn := driver.FunctionFunc(func(_ context.Context, ev []byte) ([]byte, error) {
				var e events.KinesisEvent
				require.NoError(t, json.Unmarshal(ev, &e))
				firsts = append(firsts, e.Records[0].Kinesis.SequenceNumber)
				return []byte(form), nil
			})
			b1, err := d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.NoError(t, b1[0].Err)
			_, err = d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.Equal(t, []string{"1", "3"}, firsts, "the batch succeeded: the next starts after it")
			require.Equal(t, 4, d.Stats().Succeeded)
		})
	}
	for _, bad := range []string{`"x"`, `[1]`, `{"batchItemFailures":{}}`} {
		t.Run("fails "+bad, func(t *testing.T) {
			f := &fakeKinesis{seqs: []string{"1", "2"}}
			d := &driver.Kinesis{Client: f, StreamName: "s", BatchSize: 2, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
			b, err := d.Poll(context.Background(), driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return []byte(bad), nil }))
			require.NoError(t, err)
			require.ErrorIs(t, b[0].Err, driver.ErrWholeBatchFailed)
		})
	}
}

// The template's Timeout reaches an in-process handler: its context has a
// deadline of Timeout, and a handler still running then fails the
// invocation, as Lambda's timeout does; the message is not deleted.
func TestFunctionTimeoutReachesHandler(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Q: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 30}}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 1
      Events:
        E: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
`))
	require.NoError(t, err)
	maps, _, err := tpl.Mappings("")
	require.NoError(t, err)
	o, err := maps[0].Open(context.Background(), tpl, &driver.Env{SQS: c, Create: true, Prefix: name("timeout") + "-", WaitTime: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(o.SourceName)})
	})
	_, err = c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(o.SourceName), MessageBody: aws.String("slow")})
	require.NoError(t, err)

	var deadline atomic.Int64
	fn := driver.Handler(func(ctx context.Context, e events.SQSEvent) (map[string]any, error) {
		if d, ok := ctx.Deadline(); ok {
			deadline.Store(int64(time.Until(d)))
		}
		time.Sleep(1500 * time.Millisecond) // past the timeout, ignoring ctx
		return nil, nil
	})
	batches := pollUntil(t, o.Poller, fn, 20*time.Second, func() bool { return o.Stats().Invocations > 0 })
	require.Len(t, batches, 1)
	left := time.Duration(deadline.Load())
	require.True(t, left > 500*time.Millisecond && left <= time.Second, "the handler's deadline is the Timeout, 1 s; left %s", left)
	var fe *driver.FunctionError
	require.ErrorAs(t, batches[0].Err, &fe)
	require.Equal(t, driver.TimeoutError, fe.Type)
	require.Contains(t, fe.Message, "Task timed out after 1.00 seconds")
	require.Empty(t, batches[0].Deleted)
	_, inFlight := queueDepth(t, c, o.SourceName)
	require.Equal(t, 1, inFlight, "the message is not deleted: it comes back after the visibility timeout")
}

// kinesisStream creates a one-shard stream on kinesalite.
func kinesisStream(t *testing.T) (*kinesis.Client, string) {
	kc := driver.NewKinesisClient(testenvKinesis(t))
	stream := name("rules")
	createStream(t, kc, stream, 1)
	return kc, stream
}

// The invocation record Lambda sends to the on-failure destination has
// responseContext.functionError, null when the last invocation raised no
// function error (here, an invalid response), "Unhandled" when it did; a
// batch discarded for its age without an invocation has
// approximateInvokeCount 0 and no responseContext.
func TestOnFailureRecordFields(t *testing.T) {
	t.Parallel()
	qc := sqsClient(t)
	tests := []struct {
		name    string
		respond func() ([]byte, error)
		want    any
	}{
		{"invalid response", func() ([]byte, error) { return []byte(`{"batchItemFailures":[{"itemIdentifier":""}]}`), nil }, nil},
		{"function error", func() ([]byte, error) { return nil, &driver.FunctionError{Type: "errorString", Message: "boom"} }, "Unhandled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kc, stream := kinesisStream(t)
			dest, _ := createQueue(t, qc, name("on-failure"), nil)
			putRecords(t, kc, stream, []string{"a"}, []string{"k"})
			d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{
				ReportBatchItemFailures: true, MaximumRetryAttempts: aws.Int(0), OnFailure: &driver.SQSDestination{Client: qc, QueueURL: dest}}}
			fn := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return tt.respond() })
			pollUntil(t, d, fn, 20*time.Second, func() bool { return d.Stats().OnFailure == 1 })
			bodies := receiveAll(t, qc, dest)
			require.Len(t, bodies, 1)
			var rec struct {
				RequestContext  map[string]any `json:"requestContext"`
				ResponseContext map[string]any `json:"responseContext"`
			}
			require.NoError(t, json.Unmarshal([]byte(bodies[0]), &rec))
			v, ok := rec.ResponseContext["functionError"]
			require.True(t, ok, "functionError is always there: %s", bodies[0])
			require.Equal(t, tt.want, v)
			require.EqualValues(t, 1, rec.RequestContext["approximateInvokeCount"])
		})
	}
	t.Run("record age", func(t *testing.T) {
		t.Parallel()
		kc, stream := kinesisStream(t)
		dest, _ := createQueue(t, qc, name("on-failure"), nil)
		putRecords(t, kc, stream, []string{"old"}, []string{"k"})
		time.Sleep(1200 * time.Millisecond)
		d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{
			MaximumRecordAge: time.Second, OnFailure: &driver.SQSDestination{Client: qc, QueueURL: dest}}}
		invoked := false
		fn := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { invoked = true; return nil, nil })
		pollUntil(t, d, fn, 20*time.Second, func() bool { return d.Stats().RecordAgeExceeded == 1 })
		require.False(t, invoked)
		bodies := receiveAll(t, qc, dest)
		require.Len(t, bodies, 1)
		var rec map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(bodies[0]), &rec))
		require.JSONEq(t, `0`, string(mustField(t, rec["requestContext"], "approximateInvokeCount")))
		require.JSONEq(t, `"RecordAgeExceeded"`, string(mustField(t, rec["requestContext"], "condition")))
		_, has := rec["responseContext"]
		require.False(t, has, "no invocation, no response")
	})
}

func mustField(t *testing.T, obj json.RawMessage, key string) json.RawMessage {
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(obj, &m))
	v, ok := m[key]
	require.True(t, ok, "%s has no %s", obj, key)
	return v
}

// invokeAPI is a stand-in for Lambda's Invoke API (the emulator's): it
// answers the statuses in order, then 200 with {}.
func invokeAPI(t *testing.T, statuses ...int) (*driver.Emulator, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if len(statuses) > 0 && statuses[0] == -1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if n <= len(statuses) {
			w.WriteHeader(statuses[n-1])
			_, _ = w.Write([]byte(`{"Type":"TooManyRequestsException","message":"Rate exceeded"}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return driver.NewEmulator(srv.URL), &calls
}

// A throttle (429) or service error (5xx) of the Invoke API is not a retry:
// with MaximumRetryAttempts 0 the record is still processed once the
// function can run, and nothing goes to the on-failure destination; a
// throttle that lasts keeps the record until it expires
// (MaximumRecordAge), then it is discarded for its age.
func TestStreamThrottleIsNotARetry(t *testing.T) {
	t.Parallel()
	t.Run("retried until it runs", func(t *testing.T) {
		t.Parallel()
		kc, stream := kinesisStream(t)
		putRecords(t, kc, stream, []string{"a"}, []string{"k"})
		fn, calls := invokeAPI(t, 429, 500, 503, 429)
		d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{
			ReportBatchItemFailures: true, MaximumRetryAttempts: aws.Int(0)}}
		batches := pollUntil(t, d, fn, 30*time.Second, func() bool { return d.Stats().Succeeded == 1 || d.Stats().OnFailure > 0 })
		require.Equal(t, 0, d.Stats().OnFailure, "a throttle does not use the retry")
		require.EqualValues(t, 5, calls.Load())
		last := batches[len(batches)-1]
		require.NoError(t, last.Err)
		for _, b := range batches[:len(batches)-1] {
			require.True(t, driver.IsServiceError(b.Err), "%v", b.Err)
		}
		require.False(t, d.Pending())
	})
	t.Run("until the record expires", func(t *testing.T) {
		t.Parallel()
		kc, stream := kinesisStream(t)
		putRecords(t, kc, stream, []string{"a"}, []string{"k"})
		fn, _ := invokeAPI(t, -1) // always 429
		d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{
			MaximumRetryAttempts: aws.Int(0), MaximumRecordAge: 2 * time.Second}}
		batches := pollUntil(t, d, fn, 30*time.Second, func() bool { return d.Stats().OnFailure > 0 })
		require.Equal(t, 1, d.Stats().RecordAgeExceeded, "discarded for its age, not after a retry")
		var discarded *driver.InvocationRecord
		for _, b := range batches {
			if b.Discarded != nil {
				discarded = b.Discarded
			}
		}
		require.NotNil(t, discarded)
		require.Equal(t, driver.RecordAgeExceeded, discarded.RequestContext.Condition)
		require.Equal(t, 0, discarded.RequestContext.ApproximateInvokeCount, "the function never ran")
	})
}

// windowEvent is the part of a tumbling window event the tests read.
type windowEvent struct {
	Records []json.RawMessage `json:"Records"`
	Window  struct {
		Start string `json:"start"`
	} `json:"window"`
	Final bool `json:"isFinalInvokeForWindow"`
}

// windowFunction records each invocation as "<window start> <records>" or
// "<window start> final", and fails the first final invocation.
func windowFunction(t *testing.T) (driver.Function, func() []string) {
	var mu sync.Mutex
	var log []string
	failed := false
	fn := driver.FunctionFunc(func(_ context.Context, ev []byte) ([]byte, error) {
		var e windowEvent
		require.NoError(t, json.Unmarshal(ev, &e))
		mu.Lock()
		defer mu.Unlock()
		if e.Final {
			log = append(log, e.Window.Start+" final")
			if !failed {
				failed = true
				return nil, &driver.FunctionError{Type: "errorString", Message: "final invocation failed"}
			}
			return []byte(`{"state":{}}`), nil
		}
		log = append(log, fmt.Sprintf("%s %d", e.Window.Start, len(e.Records)))
		return []byte(`{"state":{"n":1}}`), nil
	})
	return fn, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), log...)
	}
}

// checkWindowLog checks that a failed final invocation of a window is made
// again, with the same window, before any record of the next window.
func checkWindowLog(t *testing.T, log []string) {
	require.GreaterOrEqual(t, len(log), 5, "%q", log)
	var w1 string
	_, err := fmt.Sscanf(log[0], "%s", &w1)
	require.NoError(t, err)
	require.Equal(t, []string{w1 + " 1", w1 + " final", w1 + " final"}, log[:3], "the failed final invocation is made again first")
	require.NotEqual(t, w1+" 1", log[3])
	require.Regexp(t, ` 1$`, log[3], "then the next window's record, in its own window")
}

// Kinesis and DynamoDB Streams: after a failed final invocation of a
// tumbling window, the final invocation is made again with the same window
// before any record of the next window.
func TestTumblingWindowFinalRetry(t *testing.T) {
	t.Parallel()
	t.Run("Kinesis", func(t *testing.T) {
		t.Parallel()
		kc, stream := kinesisStream(t)
		putRecords(t, kc, stream, []string{"a"}, []string{"k"})
		time.Sleep(2100 * time.Millisecond) // the next record falls in the next window
		putRecords(t, kc, stream, []string{"b"}, []string{"k"})
		fn, log := windowFunction(t)
		d := &driver.Kinesis{Client: kc, StreamName: stream, StartingPosition: driver.TrimHorizon, StreamSettings: driver.StreamSettings{TumblingWindow: 2 * time.Second}}
		t.Cleanup(func() { t.Logf("invocations: %q", log()) })
		pollUntil(t, d, fn, 30*time.Second, func() bool { return len(log()) >= 5 })
		checkWindowLog(t, log())
	})
	t.Run("DynamoDB", func(t *testing.T) {
		t.Parallel()
		endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
		db := driver.NewDynamoDBClient(endpoint)
		table, arn := createStreamTable(t, db)
		put := func(id string) {
			_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}}})
			require.NoError(t, err)
		}
		put("a")
		fn, log := windowFunction(t)
		d := &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(endpoint), StreamARN: arn, StartingPosition: driver.TrimHorizon,
			StreamSettings: driver.StreamSettings{TumblingWindow: 2 * time.Second}}
		t.Cleanup(func() { t.Logf("invocations: %q", log()) })
		// The window closes when its end has passed; its final invocation
		// fails once and must be made again (it was never retried, so the
		// drain never ended).
		pollUntil(t, d, fn, 30*time.Second, func() bool { return len(log()) >= 3 && !d.Pending() })
		l := log()
		var w1 string
		_, err := fmt.Sscanf(l[0], "%s", &w1)
		require.NoError(t, err)
		require.Equal(t, []string{w1 + " 1", w1 + " final", w1 + " final"}, l)
	})
}

// DynamoDB Streams: a BatchSize over 1,000 (up to Lambda's 10,000) is read
// in pages of at most 1,000 records, GetRecords' limit.
func TestDynamoDBBatchSizeOver1000(t *testing.T) {
	t.Parallel()
	endpoint := testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
	db := driver.NewDynamoDBClient(endpoint)
	table, arn := createStreamTable(t, db)
	const n = 1100
	for start := 0; start < n; start += 25 {
		var reqs []ddbtypes.WriteRequest
		for i := start; i < min(start+25, n); i++ {
			reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprint(i)}}}})
		}
		_, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{table: reqs}})
		require.NoError(t, err)
	}
	d := &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(endpoint), StreamARN: arn, StartingPosition: driver.TrimHorizon, BatchSize: 2000}
	largest := 0
	fn := driver.Handler(func(_ context.Context, e events.DynamoDBEvent) (map[string]any, error) {
		largest = max(largest, len(e.Records))
		return nil, nil
	})
	pollUntil(t, d, fn, 60*time.Second, func() bool { return d.Stats().Succeeded >= n })
	require.Equal(t, n, d.Stats().Succeeded)
	require.Greater(t, largest, 1000, "one invocation holds more than one page")
}

// With a batching window, when the window plus the function's timeout is
// longer than the queue's visibility timeout, the messages are received
// with that longer visibility timeout: a message is not received again
// (ApproximateReceiveCount 2) while its batch is gathered.
func TestSQSEffectiveVisibilityTimeout(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("visibility"), map[string]string{"VisibilityTimeout": "1"})
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	require.NoError(t, err)
	d := &driver.SQS{Client: c, QueueURL: url, BatchSize: 20, MaximumBatchingWindow: 2 * time.Second, FunctionTimeout: time.Second}
	var counts []string
	fn := driver.Handler(func(_ context.Context, e events.SQSEvent) (map[string]any, error) {
		for _, r := range e.Records {
			counts = append(counts, r.Attributes["ApproximateReceiveCount"])
		}
		return nil, nil
	})
	batches := pollUntil(t, d, fn, 20*time.Second, func() bool { return d.Stats().Invocations > 0 })
	require.Equal(t, []string{"1"}, counts, "received once during the 2 s window although the queue's visibility timeout is 1 s")
	require.Equal(t, 1, batches[0].Attempt)
	require.Len(t, batches[0].Deleted, 1)

	// A function timeout over the queue's visibility timeout: Lambda refuses
	// the mapping; the Go API finds out at the first Poll.
	long := &driver.SQS{Client: c, QueueURL: url, FunctionTimeout: 2 * time.Second}
	_, err = long.Poll(context.Background(), fn)
	var ce *driver.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "Timeout", ce.Setting)
}

// Provisioned mode: each event poller runs up to 10 invocations at once,
// so MaximumPollers 2 gathers and invokes up to 20 batches per Poll; from a
// template, ProvisionedPollerConfig reaches the poller.
func TestSQSProvisionedPollers(t *testing.T) {
	t.Parallel()
	c := sqsClient(t)
	url, _ := createQueue(t, c, name("pollers"), nil)
	for i := range 25 {
		_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprint(i))})
		require.NoError(t, err)
	}
	d := &driver.SQS{Client: c, QueueURL: url, BatchSize: 1, MaximumPollers: 2}
	var inFlight, most atomic.Int32
	// Each invocation waits until more than one poller's worth (11) are in
	// flight at once, or 5 s: a machine under load delays the overlap but
	// cannot hide it, and a driver that never overlaps them fails.
	overlapped := make(chan struct{})
	var once sync.Once
	fn := driver.Handler(func(_ context.Context, e events.SQSEvent) (map[string]any, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n > 10 {
			once.Do(func() { close(overlapped) })
		}
		select {
		case <-overlapped:
		case <-time.After(5 * time.Second):
		}
		return nil, nil
	})
	batches, err := d.Poll(context.Background(), fn)
	require.NoError(t, err)
	require.Len(t, batches, 20, "2 pollers x 10 invocations")
	require.LessOrEqual(t, most.Load(), int32(20))
	require.Greater(t, most.Load(), int32(10), "more than one poller's worth at once")

	_, err = (&driver.SQS{Client: c, QueueURL: url, MaximumPollers: 1}).Poll(context.Background(), fn)
	require.ErrorIs(t, err, driver.ErrInvalidConfig, "SQS needs at least 2 pollers")

	tpl, err := driver.ParseTemplate([]byte(mappingTemplate("SQS", "ProvisionedPollerConfig: {MinimumPollers: 2, MaximumPollers: 3}", 3)))
	require.NoError(t, err)
	maps, _, err := tpl.Mappings("")
	require.NoError(t, err)
	o, err := maps[0].Open(context.Background(), tpl, &driver.Env{SQS: c, Create: true, Prefix: name("pollers") + "-"})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(o.SourceName)})
	})
	require.Equal(t, 3, o.Poller.(*driver.SQS).MaximumPollers)
}
