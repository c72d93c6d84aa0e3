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
// Processors can also be chosen by name at run time, like database/sql
// drivers: [Register] adds one under a name (the built-ins register
// themselves), [Open] builds one from a name and a [Config], and [OpenEnv]
// reads both from the BATCHKIT_* environment variables ([EnvProcessor] and
// the constants after it), failing with an [*EnvError] that names the
// variable at fault and its accepted values.
package processors
