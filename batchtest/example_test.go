package batchtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/pipes"
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

// A FIFO event: the group of each message, in order.
func ExampleFIFOEvent() {
	event := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "customer-1", Body: "a"},
		batchtest.FIFOMessage{Group: "customer-2", Body: "b"},
	)
	fmt.Println(event.Records[1].Attributes["MessageGroupId"], event.Records[1].Body)
	// Output: customer-2 b
}

// A Kinesis event with partition keys; the failed record's sequence number
// is read from the built event.
func ExampleKinesisEvent() {
	event := batchtest.KinesisEvent(
		batchtest.KinesisRecord{PartitionKey: "sensor-1", Data: `{"celsius":21.5}`},
		batchtest.KinesisRecord{PartitionKey: "sensor-2", Data: `oops`},
	)
	type reading struct {
		Celsius float64 `json:"celsius"`
	}
	resp, err := core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), event.Records,
		processors.KinesisJSON(func(context.Context, reading, *events.KinesisEventRecord) error { return nil }))
	fmt.Println(batchtest.FailedIDs(resp)[0] == event.Records[1].Kinesis.SequenceNumber, err)
	// Output: true <nil>
}

// A DynamoDB Streams event: an insert and a removal, keyed by "id".
func ExampleDynamoDBEvent() {
	item := map[string]events.DynamoDBAttributeValue{"qty": events.NewNumberAttribute("3")}
	event := batchtest.DynamoDBEvent(batchtest.Insert("o-1", item), batchtest.Remove("o-2", item))
	for _, r := range event.Records {
		fmt.Println(r.EventName, r.Change.Keys["id"].String(), r.Change.NewImage != nil)
	}
	// Output:
	// INSERT o-1 true
	// REMOVE o-2 false
}

// An EventBridge Pipes event from an SQS queue, given to the Pipes adapter.
func ExamplePipesEvent() {
	sqs := batchtest.SQSEvent("ok", "bad")
	handler := pipes.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "bad" {
			return errors.New("bad")
		}
		return nil
	})
	resp, err := handler(context.Background(), batchtest.PipesEvent(sqs.Records...))
	fmt.Println(batchtest.FailedIDs(resp)[0] == sqs.Records[1].MessageId, err)
	// Output: true <nil>
}

// Running an adapter as Lambda would: the response bytes Lambda receives.
func ExampleInvoke() {
	type order struct {
		ID string `json:"id"`
	}
	handler := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})),
		processors.SQSJSON(func(context.Context, order, *events.SQSMessage) error { return nil }))
	sqs := batchtest.SQSEvent(`{"id":"o-1"}`, `not json`)
	event, _ := json.Marshal(sqs)
	out, err := batchtest.Invoke(context.Background(), handler, event)
	fmt.Println(string(out) == `{"batchItemFailures":[{"itemIdentifier":"`+sqs.Records[1].MessageId+`"}]}`, err)
	// Output: true <nil>
}

// A test's context with the Lambda context and deadline the runtime gives
// a handler (batchkit's DeadlineMargin reads the deadline).
func ExampleLambdaContext() {
	ctx, cancel := batchtest.LambdaContext(context.Background(), time.Minute)
	defer cancel()
	lc, ok := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	fmt.Println(ok && lc.AwsRequestID != "", hasDeadline)
	// Output: true true
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
	event := batchtest.WindowEvent(batchtest.Window{State: `{"count":2}`, Final: true}, batchtest.KinesisEvent(batchtest.KinesisRecord{Data: `{"celsius":21.5}`}).Records...)
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
func ExampleKafkaEvent() {
	event := batchtest.KafkaEvent("aws:kafka", batchtest.KafkaMessage{
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
