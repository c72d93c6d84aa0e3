package batchtest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/kafkapayload"
)

// dataKeys name the objects whose keys are data, not schema (a job's user
// arguments, a window's state, Kafka's "<topic>-<partition>" groups and
// header names): their values are compared with the sample's first value.
var dataKeys = map[string]bool{"userArguments": true, "state": true, "records": true, "headers": true}

// optionalKeys may be present or absent: SQS adds md5OfMessageAttributes
// only to messages with message attributes (aws-lambda-go's SQSMessage
// always writes it); the Pipes guide's DynamoDB sample omits the
// ApproximateCreationDateTime every other DynamoDB Streams sample has.
// opaqueKeys hold DynamoDB items (attribute name to typed value), checked
// only to be objects: a table's own schema.
var opaqueKeys = map[string]bool{"Keys": true, "NewImage": true, "OldImage": true}

var optionalKeys = map[string]bool{"md5OfMessageAttributes": true, "ApproximateCreationDateTime": true}

// shapeDiff compares the JSON value got with AWS's sample want: the same
// object keys at every level, the same kind of value (string, number,
// bool, null, object, array) under each key, and element i of an array
// shaped like the sample's element i (its last one past its end). It returns the differences.
func shapeDiff(path string, want, got any) []string { return diff(path, want, got, false) }

func diff(path string, want, got any, data bool) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %T", path, got)}
		}
		var diffs []string
		if data {
			for _, first := range w {
				for k, gv := range g {
					diffs = append(diffs, diff(path+"."+k, first, gv, false)...)
				}
				break
			}
			sort.Strings(diffs)
			return diffs
		}
		for k := range w {
			if _, ok := g[k]; !ok && !optionalKeys[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok && !optionalKeys[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: not in AWS's sample", path, k))
			}
		}
		for k := range w {
			if gv, ok := g[k]; ok {
				if opaqueKeys[k] {
					if _, isObj := gv.(map[string]any); !isObj {
						diffs = append(diffs, fmt.Sprintf("%s.%s: want an object, got %T", path, k, gv))
					}
					continue
				}
				diffs = append(diffs, diff(path+"."+k, w[k], gv, dataKeys[k])...)
			}
		}
		sort.Strings(diffs)
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an array, got %T", path, got)}
		}
		if len(w) == 0 {
			return nil
		}
		var diffs []string
		// Only header lists hold data objects (one per header).
		data = data && strings.HasSuffix(path, ".headers")
		for i, e := range g {
			diffs = append(diffs, diff(fmt.Sprintf("%s[%d]", path, i), w[min(i, len(w)-1)], e, data)...)
		}
		return diffs
	}
	if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
		return []string{fmt.Sprintf("%s: want a %T like %v, got %T %v", path, want, want, got, got)}
	}
	return nil
}

func decode(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

func sample(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	return decode(t, data)
}

// requireShape fails unless got has the shape of want.
func requireShape(t *testing.T, want any, got []byte) {
	t.Helper()
	require.Empty(t, shapeDiff("$", want, decode(t, got)), "%s", got)
}

// at walks a decoded JSON value: a string is an object key, an int an
// array index.
func at(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v
}

// The check itself: a builder output with a key too many, one missing or
// a value of another kind differs from the sample.
func TestShapeDiffCatchesDifferences(t *testing.T) {
	want := decode(t, []byte(`{"a":"x","b":[{"c":1}]}`))
	require.Empty(t, shapeDiff("$", want, decode(t, []byte(`{"a":"y","b":[{"c":2},{"c":3}]}`))))
	require.NotEmpty(t, shapeDiff("$", want, decode(t, []byte(`{"a":"y","b":[],"d":1}`))))
	require.NotEmpty(t, shapeDiff("$", want, decode(t, []byte(`{"a":"y"}`))))
	require.NotEmpty(t, shapeDiff("$", want, decode(t, []byte(`{"a":1,"b":[]}`))))
	require.NotEmpty(t, shapeDiff("$", want, decode(t, []byte(`{"a":"y","b":[{"c":"1"}]}`))))
	// A data object's keys are free, its values are checked.
	want = decode(t, []byte(`{"state":{"k":1}}`))
	require.Empty(t, shapeDiff("$", want, decode(t, []byte(`{"state":{"x":2,"y":3}}`))))
	require.NotEmpty(t, shapeDiff("$", want, decode(t, []byte(`{"state":{"x":"2"}}`))))
}

func sqsBody(t *testing.T, path string, i int) any {
	t.Helper()
	return decode(t, []byte(at(sample(t, path), "Records", i, "body").(string)))
}

func TestSNSNotificationShape(t *testing.T) {
	requireShape(t, sqsBody(t, "../envelope/testdata/sns_sqs.json", 0), []byte(batchtest.SNSNotification(`{"a":1}`)))
	require.Equal(t, `{"a":1}`, at(decode(t, []byte(batchtest.SNSNotification(`{"a":1}`))), "Message"))
}

func TestEventBridgeEventShape(t *testing.T) {
	got := batchtest.EventBridgeEvent("com.example.orders", "Order Placed", `{"orderId":"o-1","amount":2.5}`)
	requireShape(t, sqsBody(t, "../envelope/testdata/eventbridge_sqs.json", 0), []byte(got))
}

func TestS3NotificationShape(t *testing.T) {
	got := batchtest.S3Notification("uploads", "photos/red flower.jpg", "a+b.txt")
	requireShape(t, sqsBody(t, "../envelope/testdata/s3_sqs.json", 1), []byte(got))
	v := decode(t, []byte(got))
	require.Equal(t, "photos/red+flower.jpg", at(v, "Records", 0, "s3", "object", "key"), "S3 URL-encodes keys, a space as +")
	require.Equal(t, "a%2Bb.txt", at(v, "Records", 1, "s3", "object", "key"))
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
	want := decode(t, gunzip(t, ev.Records[0].Kinesis.Data))
	got := gunzip(t, batchtest.CloudWatchLogs("/aws/lambda/orders", "one", "two"))
	requireShape(t, want, got)
	require.Equal(t, "two", at(decode(t, got), "logEvents", 1, "message"))
	// In a Kinesis event the data is base64 of the gzip bytes, as in the sample.
	kev, err := json.Marshal(batchtest.KinesisEventOf(batchtest.KinesisRecord{PartitionKey: "pk", Data: batchtest.CloudWatchLogs("/g", "m")}))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(at(decode(t, kev), "Records", 0, "kinesis", "data").(string), "H4sI"), "base64 of gzip")
}

func TestPipesShape(t *testing.T) {
	requireShape(t, sample(t, "../pipes/testdata/sqs.json"), batchtest.Pipes(batchtest.SQSEvent("a", "b").Records))
	requireShape(t, sample(t, "../pipes/testdata/kinesis.json"), batchtest.Pipes(batchtest.KinesisEvent("a").Records))
	requireShape(t, sample(t, "../pipes/testdata/dynamodb.json"), batchtest.Pipes(batchtest.DynamoDBEvent(batchtest.Insert("1", map[string]events.DynamoDBAttributeValue{"n": events.NewNumberAttribute("1")})).Records))
	requireShape(t, sample(t, "../pipes/testdata/sqs_fifo.json"), batchtest.Pipes(batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "g", Body: "x"}).Records))
	require.Equal(t, "[]", string(batchtest.Pipes[struct{}](nil)))
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
	kin := batchtest.WindowEvent(batchtest.KinesisEvent("a", "b").Records, batchtest.Window{State: `{"1":282}`})
	requireShape(t, sample(t, "../internal/contracttest/testdata/events/kinesis-window.json"), kin)
	img := map[string]events.DynamoDBAttributeValue{"n": events.NewNumberAttribute("1")}
	ddb := batchtest.WindowEvent(batchtest.DynamoDBEvent(batchtest.Insert("1", img), batchtest.Modify("1", img, img), batchtest.Remove("1", img)).Records, batchtest.Window{State: `{"INSERT":4}`, Final: true})
	requireShape(t, sample(t, "../internal/contracttest/testdata/events/dynamodb-window.json"), ddb)
	require.Equal(t, true, at(decode(t, ddb), "isFinalInvokeForWindow"))
	require.Equal(t, map[string]any{}, at(decode(t, batchtest.WindowEvent(batchtest.KinesisEvent().Records, batchtest.Window{})), "state"), "a first invocation's state is {}")
	require.Panics(t, func() { batchtest.WindowEvent(batchtest.SQSEvent("a").Records, batchtest.Window{}) })
}

func TestKafkaEventJSONShape(t *testing.T) {
	md := &kafkapayload.Schema{MetadataFormat: "AVRO", MetadataID: "a1b2c3d4-5678-90ab-cdef-1234567890ab"}
	type metadata struct{ DataFormat, SchemaID string }
	want := metadata{"AVRO", "a1b2c3d4-5678-90ab-cdef-1234567890ab"}
	got := batchtest.KafkaEventJSON("aws:kafka",
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
}
