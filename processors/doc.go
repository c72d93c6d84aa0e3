// Package processors holds batchkit's partial-batch processors, one per
// Lambda event source: SQS standard queues ([NewSQS]), SQS FIFO queues
// ([NewSQSFIFO]), Kinesis Data Streams ([NewKinesis]), DynamoDB Streams
// ([NewDynamoDB]) and Kafka, Amazon MSK or self-managed ([NewKafka]). Each
// is a [core.Base] configured with its source's knowledge: the accepted
// eventSource, the identifier Lambda expects in the partial batch response,
// the ordering key, and the stop policy.
//
// One processor serves the life of the function, and one adapter per source
// ([SQSHandler], [KinesisHandler], [DynamoDBHandler], [KafkaHandler]) turns
// it and a record handler into the function lambda.Start takes. The adapter
// decodes each record of the event on its own, as the bytes Lambda sent (a
// record that does not decode fails alone), runs the lifecycle and returns
// the partial batch response:
//
//	var processor = core.Must(processors.NewSQS(processors.Config{}))
//
//	func handleOrder(ctx context.Context, order Order, msg *events.SQSMessage) error {
//		return ship(ctx, order) // an error or a panic fails this message only
//	}
//
//	func main() {
//		lambda.Start(processors.SQSHandler(processor, processors.SQSJSON(handleOrder)))
//	}
//
// A record counts as succeeded only when its handler returned nil; every
// other record is in the response, or the invocation returns an error.
//
// Settings ([Config]) are the same for every source: concurrency, a deadline
// margin, hooks, whether a batch whose records all failed is an error, and
// the ordering policies that apply to a source (FIFO's skip-group-on-error,
// the streams' stop-on-first-failure and order-by-key). A setting that does
// not apply is a [*core.ConfigError] from the constructor.
//
// Typed payloads: [SQSJSON], [KinesisJSON] and [DynamoDBNewImage] decode each
// record's payload into the handler's Go type and validate it (package
// payload). Code that already holds an aws-lambda-go event calls
// [core.Process] with its records ([ProcessKafka] for a Kafka event).
//
// Other contracts have packages of their own: EventBridge Pipes (pipes),
// tumbling windows (window), Firehose (firehose), S3 Batch Operations
// (s3batch); envelopes (SNS, EventBridge, S3, CloudWatch Logs inside a
// record) are layers of package envelope; choosing a processor by name or
// from the environment is package config.
package processors
