package pipes_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/batchkit/batchkit/pipes"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

func readPipesEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return data
}

// failIDs returns the reported identifiers as strings.
func failIDs(resp core.Response) []string {
	out := []string{}
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier.String())
	}
	return out
}

func TestPipesSQS(t *testing.T) {
	event := readPipesEvent(t, "sqs.json")
	var seen []events.SQSMessage
	resp, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		seen = append(seen, *m)
		if m.MessageId == "2e1424d4-f796-459a-8184-9c92662be6da" {
			return errors.New("boom")
		}
		return nil
	})(context.Background(), event)
	require.NoError(t, err)
	require.Equal(t, []string{"2e1424d4-f796-459a-8184-9c92662be6da"}, failIDs(resp))

	// The records are exactly what encoding/json gives for the array.
	var want []events.SQSMessage
	require.NoError(t, json.Unmarshal(event, &want))
	require.Equal(t, want, seen)
	require.Equal(t, "Test message.", seen[0].Body)
	require.Equal(t, "1545082649183", seen[0].Attributes["SentTimestamp"])
}

func TestPipesSQSBadRecordFailsAlone(t *testing.T) {
	event := `[
		{"messageId":"m1","body":"one","eventSource":"aws:sqs"},
		{"messageId":"m2","body":{"not":"a string"},"eventSource":"aws:sqs"},
		{"messageId":"m3","body":"three","eventSource":"aws:sqs"}]`
	var handled []string
	resp, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		handled = append(handled, m.MessageId)
		return nil
	})(context.Background(), []byte(event))
	require.NoError(t, err)
	require.Equal(t, []string{"m1", "m3"}, handled)
	require.Equal(t, []string{"m2"}, failIDs(resp))
}

func TestPipesSQSFIFOStopsAtFirstFailure(t *testing.T) {
	event := `[
		{"messageId":"m1","body":"ok","attributes":{"MessageGroupId":"g"},"eventSource":"aws:sqs"},
		{"messageId":"m2","body":{"bad":1},"attributes":{"MessageGroupId":"g"},"eventSource":"aws:sqs"},
		{"messageId":"m3","body":"ok","attributes":{"MessageGroupId":"g"},"eventSource":"aws:sqs"}]`
	var handled []string
	resp, err := pipes.SQSHandler(core.Must(processors.NewSQSFIFO(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		handled = append(handled, m.MessageId)
		return nil
	})(context.Background(), []byte(event))
	require.NoError(t, err)
	require.Equal(t, []string{"m1"}, handled)
	require.Equal(t, []string{"m2", "m3"}, failIDs(resp))

	// The documented FIFO sample decodes with its group id.
	var group string
	_, err = pipes.SQSHandler(core.Must(processors.NewSQSFIFO(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		group = m.Attributes["MessageGroupId"]
		return nil
	})(context.Background(), readPipesEvent(t, "sqs_fifo.json"))
	require.NoError(t, err)
	require.Equal(t, "1", group)
}

func TestPipesKinesis(t *testing.T) {
	event := readPipesEvent(t, "kinesis.json")
	const first = "shardId-000000000006:49590338271490256608559692538361571095921575989136588898"
	const second = "shardId-000000000006:49590338271490256608559692540925702759324208523137515618"
	var seen []events.KinesisEventRecord
	resp, err := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), func(_ context.Context, r *events.KinesisEventRecord) error {
		seen = append(seen, *r)
		if r.EventID == second {
			return errors.New("boom")
		}
		return nil
	})(context.Background(), event)
	require.NoError(t, err)
	// Pipes identifies stream records by eventID, not sequence number.
	require.Equal(t, []string{second}, failIDs(resp))
	require.Len(t, seen, 2)
	r := seen[0]
	require.Equal(t, first, r.EventID)
	require.Equal(t, "Hello, this is a test.", string(r.Kinesis.Data))
	require.Equal(t, "1", r.Kinesis.PartitionKey)
	require.Equal(t, "49590338271490256608559692538361571095921575989136588898", r.Kinesis.SequenceNumber)
	require.Equal(t, "1.0", r.Kinesis.KinesisSchemaVersion)
	require.Equal(t, int64(1545084650), r.Kinesis.ApproximateArrivalTimestamp.Unix())
	require.Equal(t, "aws:kinesis", r.EventSource)
	require.Equal(t, "aws:kinesis:record", r.EventName)
	require.Equal(t, "arn:aws:iam::123456789012:role/lambda-role", r.InvokeIdentityArn)
	require.Equal(t, "us-east-2", r.AwsRegion)
	require.Equal(t, "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream", r.EventSourceArn)
	require.Equal(t, "This is only a test.", string(seen[1].Kinesis.Data))
}

// TestPipesKinesisEquivalence: a flattened Pipes record decodes into the
// same events.KinesisEventRecord as the Lambda event source mapping's nested
// record with the same fields.
func TestPipesKinesisEquivalence(t *testing.T) {
	var flat []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(readPipesEvent(t, "kinesis.json"), &flat))
	nestedKeys := []string{"kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data", "approximateArrivalTimestamp"}
	var nested []map[string]any
	for _, rec := range flat {
		out := map[string]any{}
		inner := map[string]json.RawMessage{}
		for k, v := range rec {
			out[k] = v
		}
		for _, k := range nestedKeys {
			inner[k] = rec[k]
			delete(out, k)
		}
		out["kinesis"] = inner
		nested = append(nested, out)
	}
	nestedEvent, err := json.Marshal(map[string]any{"Records": nested})
	require.NoError(t, err)

	collect := func(dst *[]events.KinesisEventRecord) core.Handler[events.KinesisEventRecord] {
		return func(_ context.Context, r *events.KinesisEventRecord) error { *dst = append(*dst, *r); return nil }
	}
	var fromPipes, fromLambda []events.KinesisEventRecord
	_, err = pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), collect(&fromPipes))(context.Background(), readPipesEvent(t, "kinesis.json"))
	require.NoError(t, err)
	_, err = processors.KinesisHandler(core.Must(processors.NewKinesis(processors.Config{})), collect(&fromLambda))(context.Background(), nestedEvent)
	require.NoError(t, err)
	require.Equal(t, fromLambda, fromPipes)
	var viaJSON events.KinesisEvent
	require.NoError(t, json.Unmarshal(nestedEvent, &viaJSON))
	require.Equal(t, viaJSON.Records, fromPipes)
}

func TestPipesKinesisBadRecordFailsAlone(t *testing.T) {
	event := `[
		{"eventID":"shardId-1:1","sequenceNumber":"1","partitionKey":"a","data":"eyJuIjoxfQ==","eventSource":"aws:kinesis"},
		{"eventID":"shardId-1:2","sequenceNumber":"2","partitionKey":"a","data":"%%% not base64","eventSource":"aws:kinesis"},
		{"eventID":"shardId-1:3","sequenceNumber":"3","partitionKey":"a","data":"eyJuIjozfQ==","eventSource":"aws:kinesis"}]`
	var handled []string
	var mu sync.Mutex
	resp, err := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{Options: core.Options{Concurrency: 3}})), func(_ context.Context, r *events.KinesisEventRecord) error {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, string(r.Kinesis.Data))
		return nil
	})(context.Background(), []byte(event))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{`{"n":1}`, `{"n":3}`}, handled)
	require.Equal(t, []string{"shardId-1:2"}, failIDs(resp))
}

func TestPipesKinesisStopOnFirstFailure(t *testing.T) {
	event := `[
		{"eventID":"s:1","sequenceNumber":"1","partitionKey":"a","data":"MQ=="},
		{"eventID":"s:2","sequenceNumber":"2","partitionKey":"a","data":"Mg=="},
		{"eventID":"s:3","sequenceNumber":"3","partitionKey":"a","data":"Mw=="}]`
	var handled []string
	resp, err := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{StopOnFirstFailure: true})), func(_ context.Context, r *events.KinesisEventRecord) error {
		handled = append(handled, r.EventID)
		if string(r.Kinesis.Data) == "2" {
			return errors.New("boom")
		}
		return nil
	})(context.Background(), []byte(event))
	require.NoError(t, err)
	require.Equal(t, []string{"s:1", "s:2"}, handled)
	require.Equal(t, []string{"s:2", "s:3"}, failIDs(resp))
}

func TestPipesDynamoDB(t *testing.T) {
	event := readPipesEvent(t, "dynamodb.json")
	type item struct {
		ID      int    `json:"Id"`
		Message string `json:"Message"`
	}
	var seen []item
	resp, err := pipes.DynamoDBHandler(core.Must(pipes.NewDynamoDB(processors.Config{})), processors.DynamoDBNewImage(func(_ context.Context, it *item, r *events.DynamoDBEventRecord) error {
		seen = append(seen, *it)
		if r.EventName == "MODIFY" {
			return errors.New("boom")
		}
		return nil
	}))(context.Background(), event)
	require.NoError(t, err)
	require.Equal(t, []string{"2"}, failIDs(resp), "reported by eventID, not SequenceNumber 222")
	require.Equal(t, []item{{101, "New item!"}, {101, "This item has changed"}}, seen)
}

func TestPipesDynamoDBBadRecordFailsAlone(t *testing.T) {
	event := `[
		{"eventID":"e1","dynamodb":{"SequenceNumber":"1","NewImage":{"a":{"S":"x"}}},"eventSource":"aws:dynamodb"},
		{"eventID":"e2","dynamodb":{"SequenceNumber":"2","NewImage":{"a":{"Q":"unknown type"}}},"eventSource":"aws:dynamodb"},
		{"eventID":"e3","dynamodb":{"SequenceNumber":"3","NewImage":{"a":{"S":"z"}}},"eventSource":"aws:dynamodb"}]`
	var handled []string
	resp, err := pipes.DynamoDBHandler(core.Must(pipes.NewDynamoDB(processors.Config{})), func(_ context.Context, r *events.DynamoDBEventRecord) error {
		handled = append(handled, r.EventID)
		return nil
	})(context.Background(), []byte(event))
	require.NoError(t, err)
	require.Equal(t, []string{"e1", "e3"}, handled)
	require.Equal(t, []string{"e2"}, failIDs(resp))
}

func TestPipesUnexpectedBatchType(t *testing.T) {
	cases := []struct{ name, event, found string }{
		{"lambda event shape", `{"Records":[{"messageId":"m1","body":"x"}]}`, "object instead of an array"},
		{"empty", ``, "an empty event"},
		{"null", `null`, "null instead of an array"},
		{"unterminated", `[{"messageId":"m1","body":"x"}`, "malformed JSON"},
		{"trailing data", `[] []`, "data after the array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called := false
			_, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(context.Context, *events.SQSMessage) error { called = true; return nil })(context.Background(), []byte(c.event))
			require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
			require.Contains(t, err.Error(), c.found)
			require.False(t, called)
		})
	}
}

func TestPipesEmptyArray(t *testing.T) {
	resp, err := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), func(context.Context, *events.KinesisEventRecord) error { return nil })(context.Background(), []byte(` [ ] `))
	require.NoError(t, err)
	out, err := json.Marshal(resp)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[]}`, string(out))
}

// The adapters are what lambda.Start runs: raw bytes in, Pipes' partial
// batch response out.
func TestPipesAdapters(t *testing.T) {
	ctx := context.Background()
	failSecond := func(i *int) bool { *i++; return *i == 2 }

	var n1 int
	sqsResp, err := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(context.Context, *events.SQSMessage) error {
		if failSecond(&n1) {
			return errors.New("boom")
		}
		return nil
	})(ctx, readPipesEvent(t, "sqs.json"))
	require.NoError(t, err)
	out, _ := json.Marshal(sqsResp)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"2e1424d4-f796-459a-8184-9c92662be6da"}]}`, string(out))

	var n2 int
	kResp, err := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), func(context.Context, *events.KinesisEventRecord) error {
		if failSecond(&n2) {
			return errors.New("boom")
		}
		return nil
	})(ctx, readPipesEvent(t, "kinesis.json"))
	require.NoError(t, err)
	out, _ = json.Marshal(kResp)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"shardId-000000000006:49590338271490256608559692540925702759324208523137515618"}]}`, string(out))

	var n3 int
	dResp, err := pipes.DynamoDBHandler(core.Must(pipes.NewDynamoDB(processors.Config{})), func(context.Context, *events.DynamoDBEventRecord) error {
		if failSecond(&n3) {
			return errors.New("boom")
		}
		return nil
	})(ctx, readPipesEvent(t, "dynamodb.json"))
	require.NoError(t, err)
	out, _ = json.Marshal(dResp)
	require.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"2"}]}`, string(out))
}

// A record whose eventID cannot be read and that fails makes the invocation
// fail: nothing is lost.
func TestPipesUnidentifiableFailure(t *testing.T) {
	event := `[{"eventID":"s:1","data":"MQ=="},{"data":"%%%"}]`
	_, err := pipes.KinesisHandler(core.Must(pipes.NewKinesis(processors.Config{})), func(context.Context, *events.KinesisEventRecord) error { return nil })(context.Background(), []byte(event))
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
	require.ErrorIs(t, err, core.ErrDecode)
}

func TestPipesProcessorConfig(t *testing.T) {
	_, err := pipes.NewKinesis(processors.Config{SkipGroupOnError: true})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	_, err = pipes.NewDynamoDB(processors.Config{Options: core.Options{Concurrency: -1}})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	p, err := pipes.NewDynamoDB(processors.Config{OrderByKey: true, StopOnFirstFailure: true})
	require.NoError(t, err)
	require.Equal(t, core.StopKey, p.Source().Stop)
	require.True(t, strings.HasPrefix(p.Source().Name, "aws:"))
}

// refusalHook records the error of every invocation's BatchEnd.
type refusalHook struct {
	core.NopHook
	errs []error
}

func (h *refusalHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.errs = append(h.errs, res.Err)
	return nil
}

// Issue 18: an event a pipe's adapter refuses (not a JSON array) reaches
// the hooks with its error, for every source.
func TestPipesRefusalReachesHooks(t *testing.T) {
	h := &refusalHook{}
	c := processors.Config{Options: core.Options{Hooks: []core.Hook{h}}}
	notArray := []byte(`{"Records":[]}`)
	_, err := pipes.SQSHandler(core.Must(processors.NewSQS(c)), func(context.Context, *events.SQSMessage) error { return nil })(context.Background(), notArray)
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = pipes.KinesisHandler(core.Must(pipes.NewKinesis(c)), func(context.Context, *events.KinesisEventRecord) error { return nil })(context.Background(), notArray)
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = pipes.DynamoDBHandler(core.Must(pipes.NewDynamoDB(c)), func(context.Context, *events.DynamoDBEventRecord) error { return nil })(context.Background(), notArray)
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	require.Len(t, h.errs, 3)
	for _, e := range h.errs {
		require.ErrorIs(t, e, core.ErrUnexpectedBatchType)
	}
}
