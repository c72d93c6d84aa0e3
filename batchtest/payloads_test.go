package batchtest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/internal/testevents"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// The check itself: a builder output with a key too many, one missing or
// a value of another kind differs from the sample.
func TestShapeDiffCatchesDifferences(t *testing.T) {
	want := testevents.Decode(t, []byte(`{"a":"x","b":[{"c":1}]}`))
	require.Empty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"a":"y","b":[{"c":2},{"c":3}]}`))))
	require.NotEmpty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"a":"y","b":[],"d":1}`))))
	require.NotEmpty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"a":"y"}`))))
	require.NotEmpty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"a":1,"b":[]}`))))
	require.NotEmpty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"a":"y","b":[{"c":"1"}]}`))))
	// A data object's keys are free, its values are checked.
	want = testevents.Decode(t, []byte(`{"state":{"k":1}}`))
	require.Empty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"state":{"x":2,"y":3}}`))))
	require.NotEmpty(t, testevents.ShapeDiff("$", want, testevents.Decode(t, []byte(`{"state":{"x":"2"}}`))))
}

func sqsBody(t *testing.T, path string, i int) any {
	t.Helper()
	return testevents.Decode(t, []byte(testevents.At(testevents.Sample(t, path), "Records", i, "body").(string)))
}

func TestSNSNotificationShape(t *testing.T) {
	testevents.RequireShape(t, sqsBody(t, "../envelope/testdata/sns_sqs.json", 0), []byte(batchtest.SNSNotification(`{"a":1}`)))
	require.Equal(t, `{"a":1}`, testevents.At(testevents.Decode(t, []byte(batchtest.SNSNotification(`{"a":1}`))), "Message"))
}

func TestEventBridgeEventShape(t *testing.T) {
	got := batchtest.EventBridgeEvent("com.example.orders", "Order Placed", `{"orderId":"o-1","amount":2.5}`)
	testevents.RequireShape(t, sqsBody(t, "../envelope/testdata/eventbridge_sqs.json", 0), []byte(got))
}

func TestS3NotificationShape(t *testing.T) {
	got := batchtest.S3Notification("uploads", "photos/red flower.jpg", "a+b.txt")
	testevents.RequireShape(t, sqsBody(t, "../envelope/testdata/s3_sqs.json", 1), []byte(got))
	v := testevents.Decode(t, []byte(got))
	require.Equal(t, "photos/red+flower.jpg", testevents.At(v, "Records", 0, "s3", "object", "key"), "S3 URL-encodes keys, a space as +")
	require.Equal(t, "a%2Bb.txt", testevents.At(v, "Records", 1, "s3", "object", "key"))
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err)
	return out
}

func TestCloudWatchLogsShape(t *testing.T) {
	var ev struct {
		Records []struct {
			Kinesis struct{ Data []byte } `json:"kinesis"`
		}
	}
	data, err := os.ReadFile("../envelope/testdata/logs_kinesis.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ev))
	want := testevents.Decode(t, gunzip(t, ev.Records[0].Kinesis.Data))
	got := gunzip(t, batchtest.CloudWatchLogs("/aws/lambda/orders", "one", "two"))
	testevents.RequireShape(t, want, got)
	require.Equal(t, "two", testevents.At(testevents.Decode(t, got), "logEvents", 1, "message"))
	// In a Kinesis event the data is base64 of the gzip bytes, as in the sample.
	kev, err := json.Marshal(batchtest.KinesisEvent(batchtest.KinesisRecord{PartitionKey: "pk", Data: string(batchtest.CloudWatchLogs("/g", "m"))}))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(testevents.At(testevents.Decode(t, kev), "Records", 0, "kinesis", "data").(string), "H4sI"), "base64 of gzip")
}

func TestEnvelopesRoundTrip(t *testing.T) {
	p := core.Must(processors.NewSQS(processors.Config{}))
	ctx := context.Background()

	var got []string
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
		got = append(got, o.ID+" "+m.SNS().TopicArn)
		return nil
	})
	resp, err := processors.SQSHandler(p, h)(ctx, mustMarshal(t, batchtest.SQSEvent(batchtest.SNSNotification(`{"id":"o-1"}`))))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"o-1 arn:aws:sns:us-east-1:123456789012:test-topic"}, got)

	got = nil
	hEB := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.EventBridge()}}, func(_ context.Context, o order, m *envelope.Meta[events.SQSMessage]) error {
		got = append(got, o.ID+" "+m.EventBridge().DetailType)
		return nil
	})
	resp, err = processors.SQSHandler(p, hEB)(ctx, mustMarshal(t, batchtest.SQSEvent(batchtest.EventBridgeEvent("com.example", "Order Placed", `{"id":"o-2"}`))))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"o-2 Order Placed"}, got)

	got = nil
	hS3 := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.S3()}}, func(_ context.Context, _ json.RawMessage, m *envelope.Meta[events.SQSMessage]) error {
		got = append(got, m.S3().S3.Object.URLDecodedKey)
		return nil
	})
	resp, err = processors.SQSHandler(p, hS3)(ctx, mustMarshal(t, batchtest.SQSEvent(batchtest.S3Notification("b", "photos/red flower.jpg", "a+b"))))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"photos/red flower.jpg", "a+b"}, got)

	got = nil
	kp := core.Must(processors.NewKinesis(processors.Config{}))
	hLogs := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{envelope.CloudWatchLogs()}}, func(_ context.Context, o order, m *envelope.Meta[events.KinesisEventRecord]) error {
		got = append(got, o.ID+" "+m.LogsData().LogGroup)
		return nil
	})
	kev := batchtest.KinesisEvent(batchtest.KinesisRecord{PartitionKey: "pk", Data: string(batchtest.CloudWatchLogs("/aws/lambda/orders", `{"id":"l-1"}`, `{"id":"l-2"}`))})
	resp, err = processors.KinesisHandler(kp, hLogs)(ctx, mustMarshal(t, kev))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []string{"l-1 /aws/lambda/orders", "l-2 /aws/lambda/orders"}, got)
}

func TestKafkaFramingRoundTrip(t *testing.T) {
	payload := []byte("avro-bytes")
	data, s, err := kafkapayload.Unframe(batchtest.ConfluentFrame(42, payload), kafkapayload.WireAuto, false)
	require.NoError(t, err)
	require.Equal(t, payload, data)
	require.Equal(t, uint32(42), s.ID)

	for _, idx := range [][]int{{0}, {1, 0}, {3}} {
		data, s, err = kafkapayload.Unframe(batchtest.ConfluentFrame(7, payload, idx...), kafkapayload.WireConfluent, true)
		require.NoError(t, err)
		require.Equal(t, payload, data)
		require.Equal(t, idx, s.Indexes)
	}
	require.Equal(t, []byte{0, 0, 0, 0, 7, 0}, batchtest.ConfluentFrame(7, nil, 0)[:6], "[0] is the single byte 0")

	id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, compress := range []bool{false, true} {
		data, s, err = kafkapayload.Unframe(batchtest.GlueFrame(id, compress, payload), kafkapayload.WireAuto, false)
		require.NoError(t, err)
		require.Equal(t, payload, data)
		require.Equal(t, kafkapayload.WireGlue, s.Wire)
		require.Equal(t, id, s.GUID)
		require.Equal(t, compress, s.Compressed)
	}

	// Through a decoder, with the event source mapping's metadata.
	raw := batchtest.KafkaEvent("aws:kafka", batchtest.KafkaMessage{
		Topic: "orders", Offset: 3, Value: string(batchtest.ConfluentFrame(9, []byte(`{"id":"k-1"}`))),
		ValueSchema: &kafkapayload.Schema{MetadataFormat: "JSON", MetadataID: "9"},
	})
	var ev struct {
		Records map[string][]struct {
			ValueSchemaMetadata struct{ DataFormat, SchemaID string } `json:"valueSchemaMetadata"`
		} `json:"records"`
	}
	require.NoError(t, json.Unmarshal(raw, &ev))
	require.Equal(t, "JSON", ev.Records["orders-0"][0].ValueSchemaMetadata.DataFormat)
}

// An SNS notification delivered through SQS, unwrapped by the envelope
// package as in production.
func ExampleSNSNotification() {
	event := batchtest.SQSEvent(batchtest.SNSNotification(`{"id":"o-1"}`))
	h := envelope.Wrap(envelope.Config[events.SQSMessage]{Layers: []envelope.Layer{envelope.SNS()}}, func(_ context.Context, o struct{ ID string }, m *envelope.Meta[events.SQSMessage]) error {
		fmt.Println(o.ID, m.SNS().Type)
		return nil
	})
	_, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), event.Records, h)
	fmt.Println(err)
	// Output:
	// o-1 Notification
	// <nil>
}

// A Kafka value in Confluent's framing (schema id 42), read back as the
// Kafka decoders read it.
func ExampleConfluentFrame() {
	value := batchtest.ConfluentFrame(42, []byte(`{"id":"o-1"}`))
	payload, schema, err := kafkapayload.Unframe(value, kafkapayload.WireAuto, false)
	fmt.Println(string(payload), schema.ID, err)
	// Output: {"id":"o-1"} 42 <nil>
}
