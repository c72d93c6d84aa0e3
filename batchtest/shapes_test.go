package batchtest_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/internal/testevents"
	"github.com/batchkit/batchkit/kafkapayload"
)

var (
	requireShape = testevents.RequireShape
	decode       = testevents.Decode
	sample       = testevents.Sample
	at           = testevents.At
)

func TestPipesShape(t *testing.T) {
	requireShape(t, sample(t, "../pipes/testdata/sqs.json"), batchtest.PipesEvent(batchtest.SQSEvent("a", "b").Records...))
	requireShape(t, sample(t, "../pipes/testdata/kinesis.json"), batchtest.PipesEvent(batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "a"}).Records...))
	requireShape(t, sample(t, "../pipes/testdata/dynamodb.json"), batchtest.PipesEvent(batchtest.DynamoDBEvent(batchtest.Insert("1", map[string]events.DynamoDBAttributeValue{"n": events.NewNumberAttribute("1")})).Records...))
	requireShape(t, sample(t, "../pipes/testdata/sqs_fifo.json"), batchtest.PipesEvent(batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "g", Body: "x"}).Records...))
	require.Equal(t, "[]", string(batchtest.PipesEvent[struct{}]()))
}

func TestFirehoseEventShapes(t *testing.T) {
	documented := sample(t, "../internal/contracttest/testdata/events/firehose.json")
	// The Lambda guide's sample is a Kinesis-sourced stream's (its records
	// carry kinesisRecordMetadata) without the sourceKinesisStreamArn
	// Firehose adds for that source; a Direct PUT stream's records have no
	// metadata.
	kinesis := decode(t, mustMarshal(t, documented))
	kinesis.(map[string]any)["sourceKinesisStreamArn"] = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
	requireShape(t, kinesis, batchtest.FirehoseEvent("KinesisStreamAsSource", "a", "b"))
	direct := decode(t, mustMarshal(t, documented))
	for _, r := range at(direct, "records").([]any) {
		delete(r.(map[string]any), "kinesisRecordMetadata")
	}
	requireShape(t, direct, batchtest.FirehoseEvent("DirectPut", "a"))
	requireShape(t, sample(t, "testdata/firehose-msk.json"), batchtest.FirehoseEvent("MSKAsSource", "a", "b"))
	require.Equal(t, "Yg==", at(decode(t, batchtest.FirehoseEvent("MSKAsSource", "a", "b")), "records", 1, "kafkaRecordValue"))
	require.Panics(t, func() { batchtest.FirehoseEvent("Kinesis", "a") })
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestS3BatchEventShapes(t *testing.T) {
	requireShape(t, sample(t, "../internal/contracttest/testdata/events/s3batch-1.0.json"), batchtest.S3BatchEvent("1.0", "b", nil, "k1", "k 2"))
	requireShape(t, sample(t, "../internal/contracttest/testdata/events/s3batch-2.0.json"), batchtest.S3BatchEvent("2.0", "b", map[string]string{"k": "v"}, "k1"))
	require.Equal(t, "k+2", at(decode(t, batchtest.S3BatchEvent("1.0", "b", nil, "k1", "k 2")), "tasks", 1, "s3Key"))
	require.Panics(t, func() { batchtest.S3BatchEvent("1.0", "b", map[string]string{}, "k") })
	require.Panics(t, func() { batchtest.S3BatchEvent("3.0", "b", nil, "k") })
}

func TestWindowEventShapes(t *testing.T) {
	kin := batchtest.WindowEvent(batchtest.Window{State: `{"1":282}`}, batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "a"}, batchtest.KinesisRecord{Data: "b"}).Records...)
	requireShape(t, sample(t, "../internal/contracttest/testdata/events/kinesis-window.json"), kin)
	img := map[string]events.DynamoDBAttributeValue{"n": events.NewNumberAttribute("1")}
	ddb := batchtest.WindowEvent(batchtest.Window{State: `{"INSERT":4}`, Final: true}, batchtest.DynamoDBEvent(batchtest.Insert("1", img), batchtest.Modify("1", img, img), batchtest.Remove("1", img)).Records...)
	requireShape(t, sample(t, "../internal/contracttest/testdata/events/dynamodb-window.json"), ddb)
	require.Equal(t, true, at(decode(t, ddb), "isFinalInvokeForWindow"))
	require.Equal(t, map[string]any{}, at(decode(t, batchtest.WindowEvent(batchtest.Window{}, batchtest.KinesisEvent().Records...)), "state"), "a first invocation's state is {}")
	require.Panics(t, func() { batchtest.WindowEvent(batchtest.Window{}, batchtest.SQSEvent("a").Records...) })
}

func TestKafkaEventShape(t *testing.T) {
	md := &kafkapayload.Schema{MetadataFormat: "AVRO", MetadataID: "a1b2c3d4-5678-90ab-cdef-1234567890ab"}
	type metadata struct{ DataFormat, SchemaID string }
	want := metadata{"AVRO", "a1b2c3d4-5678-90ab-cdef-1234567890ab"}
	got := batchtest.KafkaEvent("aws:kafka",
		batchtest.KafkaMessage{Topic: "orders", Partition: 0, Offset: 7, Key: "k", Value: "v", Headers: map[string]string{"h": "x"}, KeySchema: md, ValueSchema: md},
		batchtest.KafkaMessage{Topic: "orders", Partition: 0, Offset: 8, Key: "k2", Value: "v2", Headers: map[string]string{"h": "y"}, KeySchema: md, ValueSchema: md})
	requireShape(t, sample(t, "testdata/msk-schema-registry.json"), got)
	var ev struct {
		Records map[string][]struct {
			Offset              int64    `json:"offset"`
			KeySchemaMetadata   metadata `json:"keySchemaMetadata"`
			ValueSchemaMetadata metadata `json:"valueSchemaMetadata"`
		} `json:"records"`
	}
	require.NoError(t, json.Unmarshal(got, &ev))
	r := ev.Records["orders-0"][1]
	require.Equal(t, int64(8), r.Offset)
	require.Equal(t, want, r.KeySchemaMetadata)
	require.Equal(t, want, r.ValueSchemaMetadata)

	// What a handler of events.KafkaEvent receives: values and headers as
	// Lambda encodes them; no metadata key when a message has none.
	plain := batchtest.KafkaEvent("SelfManagedKafka", batchtest.KafkaMessage{Topic: "t", Partition: 2, Offset: 5, Value: "v", Headers: map[string]string{"b": "2", "a": "1"}})
	require.NotContains(t, string(plain), "SchemaMetadata")
	var typed events.KafkaEvent
	require.NoError(t, json.Unmarshal(plain, &typed))
	rec := typed.Records["t-2"][0]
	require.Equal(t, "SelfManagedKafka", typed.EventSource)
	require.Equal(t, int64(5), rec.Offset)
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("v")), rec.Value)
	require.Equal(t, []map[string]events.JSONNumberBytes{{"a": events.JSONNumberBytes("1")}, {"b": events.JSONNumberBytes("2")}}, rec.Headers)
}
