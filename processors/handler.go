package processors

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
)

// The Lambda handler adapters turn a processor and a record handler into the
// function lambda.Start takes, in one line:
//
//	lambda.Start(processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), handle))
//
// The function, a [core.LambdaHandler], takes the event as the bytes Lambda sent,
// runs the source's raw-bytes entry (each record decoded on its own: one bad
// record fails alone instead of the whole invocation) and returns a
// [core.Response], which marshals exactly as Lambda expects for the source.
// Calling it costs nothing over calling the raw entry yourself, and under
// lambda.Start it skips aws-lambda-go's reflective decoding of the payload
// (BenchmarkAdapter). Typed payloads compose: pass [SQSJSON], [KinesisJSON]
// or [DynamoDBNewImage] as the handler.
//
// Keep the typed entry ([core.Process], [ProcessKafka]) for code that
// already holds an aws-lambda-go event value.

// SQSHandler returns the Lambda handler of an SQS-triggered function: it runs
// [processSQSRaw] with p and h on each invocation's event. It serves standard
// and FIFO queues alike: the processor decides, so for a FIFO queue pass
// [NewSQSFIFO] (which keeps each message group's order):
//
//	lambda.Start(processors.SQSHandler(core.Must(processors.NewSQSFIFO(processors.Config{})), handle))
//
// Typed payloads compose with it:
//
//	lambda.Start(processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), processors.SQSJSON(handleOrder)))
func SQSHandler(p core.PartialProcessor[events.SQSMessage], h core.Handler[events.SQSMessage]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processSQSRaw(ctx, p, event, h)
	}
}

// KinesisHandler returns the Lambda handler of a function fed by a Kinesis
// data stream: it runs [processKinesisRaw] with p and h on each invocation's
// event. Failed records are reported by sequence number. Pass
// [KinesisJSON] as h for typed payloads.
func KinesisHandler(p core.PartialProcessor[events.KinesisEventRecord], h core.Handler[events.KinesisEventRecord]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processKinesisRaw(ctx, p, event, h)
	}
}

// DynamoDBHandler returns the Lambda handler of a function fed by a DynamoDB
// stream: it runs [processDynamoDBRaw] with p and h on each invocation's
// event. Failed records are reported by sequence number. Pass
// [DynamoDBNewImage] as h for typed new images.
func DynamoDBHandler(p core.PartialProcessor[events.DynamoDBEventRecord], h core.Handler[events.DynamoDBEventRecord]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processDynamoDBRaw(ctx, p, event, h)
	}
}

// KafkaHandler returns the Lambda handler of a function fed by Amazon MSK or
// self-managed Apache Kafka: it runs [processKafkaRaw] with p (normally
// [NewKafka]) and h on each invocation's event. The response's identifiers
// marshal as Lambda expects for Kafka:
// {"itemIdentifier": {"partition": "<topic>-<partition>", "offset": N}}.
func KafkaHandler(p core.PartialProcessor[events.KafkaRecord], h core.Handler[events.KafkaRecord]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processKafkaRaw(ctx, p, event, h)
	}
}
