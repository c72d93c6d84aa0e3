// Package processors holds batchkit's built-in processors, one per Lambda
// event source: [NewSQS], [NewSQSFIFO], [NewKinesis], [NewDynamoDB] and
// [NewKafka] (with [ProcessKafka] for its event). Each
// is a [core.Base] configured with the event source's knowledge (accepted
// eventSource, identifier, ordering key, stop policy) and run by
// [core.Process]:
//
//	var processor = core.Must(processors.NewSQS(processors.Config{})) // once, at package level
//
//	func handler(ctx context.Context, event events.SQSEvent) (core.Response, error) {
//		return core.Process(ctx, processor, event.Records, handleMessage)
//	}
//
// The package also decodes typed payloads ([SQSJSON], [KinesisJSON],
// [DynamoDBNewImage]) so a handler receives the user's Go type, validated.
//
// To choose the processor and its [Config] at run time, by name or from
// the BATCHKIT_* environment variables, see package
// github.com/batchkit/batchkit/config.
package processors
