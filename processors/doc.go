// Package processors holds batchkit's built-in processors, one per Lambda
// event source: [NewSQS], [NewSQSFIFO], [NewKinesis], [NewDynamoDB] and
// [NewKafka] (with [ProcessKafka] for its event). Each
// is a [core.Base] configured with the event source's knowledge (accepted
// eventSource, identifier, ordering key, stop policy) and run by
// its Lambda adapter ([SQSHandler], [KinesisHandler], [DynamoDBHandler],
// [KafkaHandler]): the function lambda.Start takes, which decodes each
// record on its own from the bytes Lambda sent and returns the partial
// batch response:
//
//	var processor = core.Must(processors.NewSQS(processors.Config{})) // once, at package level
//
//	func handleOrder(ctx context.Context, order Order, msg *events.SQSMessage) error { ... }
//
//	func main() { lambda.Start(processors.SQSHandler(processor, processors.SQSJSON(handleOrder))) }
//
// The typed payload helpers ([SQSJSON], [KinesisJSON], [DynamoDBNewImage])
// hand the handler the user's Go type, validated; a record that does not
// decode fails alone. On an event already decoded into aws-lambda-go's
// types, [core.Process] runs the same processor:
// core.Process(ctx, processor, event.Records, handleMessage).
//
// Processors can also be chosen by name at run time, like database/sql
// drivers: [Register] adds one under a name (the built-ins register
// themselves), [Open] builds one from a name and a [Config], and [OpenEnv]
// reads both from the BATCHKIT_* environment variables ([EnvProcessor] and
// the constants after it), failing with an [*EnvError] that names the
// variable at fault and its accepted values.
package processors
