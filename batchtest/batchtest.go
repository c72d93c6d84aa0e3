// Package batchtest is what a test of a batchkit function needs: the events
// Lambda sends, built in a line with deterministic identifiers, and the
// function's handler run on them as Lambda would. It is the counterpart of
// Powertools' "Testing your code". A function's main does not import it:
// the starter that runs a handler locally is package lambdamain.
//
//	event := batchtest.SQSEvent(`{"id":1}`, `not json`)
//	resp, err := core.Process(ctx, core.Must(processors.NewSQS(processors.Config{})), event.Records, handler)
//	require.Equal(t, []string{event.Records[1].MessageId}, batchtest.FailedIDs(resp))
//
// # Events
//
// Every builder is <Source>Event, its settings first and its records last.
// The partial-batch sources' builders return aws-lambda-go's event types,
// which carry all Lambda sends for them; a test reads identifiers from the
// built event (event.Records[i].MessageId, .Kinesis.SequenceNumber,
// .Change.SequenceNumber):
//
//   - [SQSEvent], one message per body, and [FIFOEvent] ([FIFOMessage]:
//     group and body);
//   - [KinesisEvent] ([KinesisRecord]: partition key and data);
//   - [DynamoDBEvent] ([Change]: [Insert], [Modify], [Remove]).
//
// The others return the JSON Lambda sends, which no aws-lambda-go type
// carries whole: what the adapters and [Invoke] take as it is
// (firehose.Handler(p, h)(ctx, event)); json.Unmarshal it for a typed
// entry:
//
//   - [KafkaEvent] ([KafkaMessage]), with the schema-registry metadata;
//   - [FirehoseEvent], [S3BatchEvent], [WindowEvent] ([Window]) and
//     [PipesEvent].
//
// Each builder's output is checked against AWS's documented sample of its
// shape (the package's tests). The payloads inside records are built the
// same way: SNSNotification, EventBridgeEvent and S3Notification as SQS
// bodies, CloudWatchLogs as a Kinesis record's data, ConfluentFrame and
// GlueFrame as a Kafka value in a schema registry's framing:
//
//	event := batchtest.SQSEvent(batchtest.SNSNotification(`{"id":"o-1"}`))
//
// # Running the handler
//
// [Invoke] runs a handler (an adapter, or a function of an aws-lambda-go
// event) on an event as Lambda would and returns the response bytes;
// [RequireGolden] runs it on an event file and requires the response in a
// golden file; [FailedIDs] lists the identifiers a core.Response reports;
// [LambdaContext] gives a test's context the Lambda context and deadline
// the runtime gives a handler.
package batchtest

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/batchkit/batchkit/core"
)

// region and account are the ones of the ARNs in built events.
const (
	region  = "us-east-1"
	account = "123456789012"
)

// messageID returns the deterministic message id of the i-th built SQS
// message, shaped like a real one.
func messageID(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", 0x5eed0000+i, i)
}

// sqsMessage returns an SQS standard queue message with the i-th id and body.
func sqsMessage(i int, body string) events.SQSMessage {
	ts := fmt.Sprint(1700000000000 + int64(i))
	return events.SQSMessage{
		MessageId:      messageID(i),
		ReceiptHandle:  fmt.Sprintf("AQEB-receipt-%d", i),
		Body:           body,
		Md5OfBody:      "",
		EventSource:    "aws:sqs",
		EventSourceARN: fmt.Sprintf("arn:aws:sqs:%s:%s:test-queue", region, account),
		AWSRegion:      region,
		Attributes: map[string]string{
			"ApproximateReceiveCount":          "1",
			"SentTimestamp":                    ts,
			"SenderId":                         "AIDAEXAMPLE",
			"ApproximateFirstReceiveTimestamp": ts,
		},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
	}
}

// SQSEvent returns a standard queue event with one message per body, in
// the shape of the Lambda developer guide's example
// (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html); message i
// has a deterministic id, event.Records[i].MessageId.
func SQSEvent(bodies ...string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(bodies))}
	for i, b := range bodies {
		ev.Records[i] = sqsMessage(i, b)
	}
	return ev
}

// FIFOMessage is one message of a FIFO event: its group and body.
type FIFOMessage struct {
	// Group is the message's MessageGroupId attribute; "" leaves it out.
	Group string
	// Body is the message's body.
	Body string
}

// FIFOEvent returns a FIFO queue event with the given messages, in order,
// with the attributes Lambda gives a FIFO queue's messages (MessageGroupId,
// SequenceNumber, MessageDeduplicationId; see the FIFO example of
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
func FIFOEvent(msgs ...FIFOMessage) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		r := sqsMessage(i, m.Body)
		r.EventSourceARN += ".fifo"
		r.Attributes["SequenceNumber"] = fmt.Sprintf("188494964604676%05d", i)
		r.Attributes["MessageDeduplicationId"] = fmt.Sprintf("dedup-%d", i)
		if m.Group != "" {
			r.Attributes["MessageGroupId"] = m.Group
		}
		ev.Records[i] = r
	}
	return ev
}

// sequenceNumber returns the deterministic sequence number of the i-th built
// stream record.
func sequenceNumber(i int) string {
	return fmt.Sprintf("4959033827149025660855969253836157109592157598913%07d", i)
}

// KinesisRecord is one record of a Kinesis event: its partition key and
// its data.
type KinesisRecord struct {
	// PartitionKey is the record's partition key; "" is "pk" (Kinesis
	// requires one).
	PartitionKey string
	// Data is the record's data; the event carries it base64-encoded, as
	// Lambda sends it.
	Data string
}

// KinesisEvent returns a Kinesis event with the given records, in order,
// in the shape of the Lambda developer guide's example
// (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html); record
// i has a deterministic sequence number, event.Records[i].Kinesis.SequenceNumber.
//
//	event := batchtest.KinesisEvent(
//		batchtest.KinesisRecord{PartitionKey: "user-1", Data: `{"n":1}`},
//		batchtest.KinesisRecord{PartitionKey: "user-2", Data: `{"n":2}`},
//	)
func KinesisEvent(recs ...KinesisRecord) events.KinesisEvent {
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(recs))}
	for i, r := range recs {
		seq := sequenceNumber(i)
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion:         region,
			EventID:           "shardId-000000000000:" + seq,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/test-stream", region, account),
			EventVersion:      "1.0",
			InvokeIdentityArn: fmt.Sprintf("arn:aws:iam::%s:role/lambda-role", account),
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: time.Unix(1700000000+int64(i), 0)},
				Data:                        []byte(r.Data),
				PartitionKey:                cmp.Or(r.PartitionKey, "pk"),
				SequenceNumber:              seq,
				KinesisSchemaVersion:        "1.0",
			},
		}
	}
	return ev
}

// Change is one record of a DynamoDB Streams event.
type Change struct {
	// EventName is INSERT, MODIFY or REMOVE.
	EventName string
	Keys      map[string]events.DynamoDBAttributeValue
	NewImage  map[string]events.DynamoDBAttributeValue
	OldImage  map[string]events.DynamoDBAttributeValue
}

// DynamoDBEvent returns a DynamoDB Streams event with the given changes, in
// order, in the shape of the Lambda developer guide's example
// (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), with
// NEW_AND_OLD_IMAGES; change i has a deterministic sequence number,
// event.Records[i].Change.SequenceNumber.
func DynamoDBEvent(changes ...Change) events.DynamoDBEvent {
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, len(changes))}
	for i, c := range changes {
		view := "NEW_AND_OLD_IMAGES"
		ev.Records[i] = events.DynamoDBEventRecord{
			AWSRegion:      region,
			EventID:        fmt.Sprintf("event-%d", i),
			EventName:      c.EventName,
			EventSource:    "aws:dynamodb",
			EventVersion:   "1.1",
			EventSourceArn: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/test-table/stream/2024-01-01T00:00:00.000", region, account),
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Unix(1700000000+int64(i), 0)},
				Keys:                        c.Keys,
				NewImage:                    c.NewImage,
				OldImage:                    c.OldImage,
				SequenceNumber:              sequenceNumber(i),
				SizeBytes:                   100,
				StreamViewType:              view,
			},
		}
	}
	return ev
}

// Insert returns an INSERT change of an item with a string key "id".
func Insert(id string, newImage map[string]events.DynamoDBAttributeValue) Change {
	return Change{EventName: "INSERT", Keys: idKey(id), NewImage: newImage}
}

// Modify returns a MODIFY change of an item with a string key "id".
func Modify(id string, oldImage, newImage map[string]events.DynamoDBAttributeValue) Change {
	return Change{EventName: "MODIFY", Keys: idKey(id), OldImage: oldImage, NewImage: newImage}
}

// Remove returns a REMOVE change of an item with a string key "id": it has
// an old image and no new image.
func Remove(id string, oldImage map[string]events.DynamoDBAttributeValue) Change {
	return Change{EventName: "REMOVE", Keys: idKey(id), OldImage: oldImage}
}

func idKey(id string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute(id)}
}

// FailedIDs returns the string identifiers a response reports, in order
// (Kafka identifiers as "<partition>@<offset>").
func FailedIDs(resp core.Response) []string {
	ids := make([]string, len(resp.BatchItemFailures))
	for i, f := range resp.BatchItemFailures {
		ids[i] = f.ItemIdentifier.String()
	}
	return ids
}

// LambdaContext returns ctx with a Lambda context (request id, function ARN)
// and a deadline timeout from now, as the Lambda runtime gives a handler. The
// cancel function releases the deadline's timer.
func LambdaContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	lc := &lambdacontext.LambdaContext{
		AwsRequestID:       "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:test-function", region, account),
	}
	return context.WithTimeout(lambdacontext.NewContext(ctx, lc), timeout)
}
