package batchtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// Testing a handler: build an event, process it, read the failed ids.
func Example() {
	event := batchtest.SQSEvent(`{"ok":true}`, `{"ok":false}`)
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), event.Records,
		func(_ context.Context, m *events.SQSMessage) error {
			if m.Body == `{"ok":false}` {
				return errors.New("not ok")
			}
			return nil
		})
	fmt.Println(batchtest.FailedIDs(resp)[0] == event.Records[1].MessageId, err)
	// Output: true <nil>
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

// A Firehose transformation event of a stream fed by a Kinesis stream,
// as the JSON the Firehose adapter takes.
func ExampleFirehoseEvent() {
	event := batchtest.FirehoseEvent("KinesisStreamAsSource", "a")
	var ev struct {
		Records []struct {
			Data                  []byte `json:"data"`
			KinesisRecordMetadata struct {
				ShardID string `json:"shardId"`
			} `json:"kinesisRecordMetadata"`
		} `json:"records"`
	}
	_ = json.Unmarshal(event, &ev)
	fmt.Println(string(ev.Records[0].Data), ev.Records[0].KinesisRecordMetadata.ShardID)
	// Output: a shardId-000000000000
}

// The third invocation of a Kinesis tumbling window: the state the previous
// one returned, and the window's final flag.
func ExampleWindowEvent() {
	event := batchtest.WindowEvent(batchtest.KinesisEvent(`{"celsius":21.5}`).Records, batchtest.Window{State: `{"count":2}`, Final: true})
	var ev struct {
		State json.RawMessage `json:"state"`
		Final bool            `json:"isFinalInvokeForWindow"`
	}
	_ = json.Unmarshal(event, &ev)
	fmt.Println(string(ev.State), ev.Final)
	// Output: {"count":2} true
}

// An S3 Batch Operations invocation in schema 2.0: keys are URL-encoded in
// the event, as S3 sends them.
func ExampleS3BatchEvent() {
	event := batchtest.S3BatchEvent("2.0", "reports", map[string]string{"mode": "full"}, "2024/jan report.csv")
	var ev struct {
		Tasks []struct {
			S3Key    string `json:"s3Key"`
			S3Bucket string `json:"s3Bucket"`
		} `json:"tasks"`
	}
	_ = json.Unmarshal(event, &ev)
	fmt.Println(ev.Tasks[0].S3Bucket, ev.Tasks[0].S3Key)
	// Output: reports 2024/jan+report.csv
}

// A Kafka record with the schema metadata the event source mapping adds
// when a schema registry is configured on it.
func ExampleKafkaEventJSON() {
	event := batchtest.KafkaEventJSON("aws:kafka", batchtest.KafkaMessage{
		Topic: "orders", Offset: 7, Value: `{"id":"o-1"}`,
		ValueSchema: &kafkapayload.Schema{MetadataFormat: "JSON", MetadataID: "12"},
	})
	var ev struct {
		Records map[string][]struct {
			ValueSchemaMetadata struct{ DataFormat, SchemaID string } `json:"valueSchemaMetadata"`
		} `json:"records"`
	}
	err := json.Unmarshal(event, &ev)
	fmt.Println(ev.Records["orders-0"][0].ValueSchemaMetadata.SchemaID, err)
	// Output: 12 <nil>
}
