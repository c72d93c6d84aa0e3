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
//	lambda.Start(processors.SQSHandler(processors.NewSQS(), handle))
//
// The function, a [LambdaHandler], takes the event as the bytes Lambda sent,
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

// LambdaHandler is the Lambda handler an adapter returns: a function of the
// event's bytes, which lambda.Start takes as it is. It also implements
// aws-lambda-go's lambda.Handler interface (Invoke), which lambda.Start
// prefers: the payload goes to the raw entry as Lambda sent it, without the
// json.Decoder pass and copy that a plain func(ctx, json.RawMessage) handler
// costs (on a 1,000-record SQS event, 2.6 ms through Invoke against 16 ms
// through aws-lambda-go's reflective path on a shared 2-core machine:
// BenchmarkAdapter's "lambda" and "lambda-reflect" rows).
type LambdaHandler func(ctx context.Context, event json.RawMessage) (core.Response, error)

// Invoke runs the handler on one payload and returns the response as the
// JSON Lambda expects, or the handler's error (Lambda then retries the whole
// batch). lambda.Start calls it.
func (f LambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp, err := f(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// SQSHandler returns the Lambda handler of an SQS-triggered function: it runs
// [ProcessSQSRaw] with p and h on each invocation's event. It serves standard
// and FIFO queues alike: the processor decides, so for a FIFO queue pass
// [NewSQSFIFO] (which keeps each message group's order):
//
//	lambda.Start(processors.SQSHandler(processors.NewSQSFIFO(), handle))
//
// Typed payloads compose with it:
//
//	lambda.Start(processors.SQSHandler(processors.NewSQS(), processors.SQSJSON(handleOrder)))
func SQSHandler(p core.PartialProcessor[events.SQSMessage], h core.Handler[events.SQSMessage]) LambdaHandler {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessSQSRaw(ctx, p, event, h)
	}
}

// KinesisHandler returns the Lambda handler of a function fed by a Kinesis
// data stream: it runs [ProcessKinesisRaw] with p and h on each invocation's
// event. Failed records are reported by sequence number. Pass
// [KinesisJSON] as h for typed payloads.
func KinesisHandler(p core.PartialProcessor[events.KinesisEventRecord], h core.Handler[events.KinesisEventRecord]) LambdaHandler {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessKinesisRaw(ctx, p, event, h)
	}
}

// DynamoDBHandler returns the Lambda handler of a function fed by a DynamoDB
// stream: it runs [ProcessDynamoDBRaw] with p and h on each invocation's
// event. Failed records are reported by sequence number. Pass
// [DynamoDBNewImage] as h for typed new images.
func DynamoDBHandler(p core.PartialProcessor[events.DynamoDBEventRecord], h core.Handler[events.DynamoDBEventRecord]) LambdaHandler {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessDynamoDBRaw(ctx, p, event, h)
	}
}

// KafkaHandler returns the Lambda handler of a function fed by Amazon MSK or
// self-managed Apache Kafka: it runs [ProcessKafkaRaw] with p (normally
// [NewKafka]) and h on each invocation's event. The response's identifiers
// marshal as Lambda expects for Kafka:
// {"itemIdentifier": {"partition": "<topic>-<partition>", "offset": N}}.
func KafkaHandler(p core.PartialProcessor[events.KafkaRecord], h core.Handler[events.KafkaRecord]) LambdaHandler {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessKafkaRaw(ctx, p, event, h)
	}
}
