// Package pipes runs a Lambda function that is the target of an EventBridge
// pipe with batchkit's guarantees, for SQS, Kinesis and DynamoDB Streams
// sources.
//
// A pipe invokes its Lambda target with the source's records as a bare JSON
// array (no "Records" key, even for one record) and accepts the same partial
// batch response as Lambda's event source mappings,
// {"batchItemFailures":[{"itemIdentifier":"..."}]}. The identifier a pipe
// expects is the SQS messageId for SQS sources and the record's eventID (not
// its sequence number) for Kinesis and DynamoDB sources; Kinesis records
// arrive flattened, the fields of the "kinesis" object at the top level of
// the record
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-kinesis.html).
//
// The adapters ([SQSHandler], [KinesisHandler], [DynamoDBHandler]) decode
// each record of the array on its own: a record that does not decode fails
// alone, reported by its identifier, and an event that is not a JSON array
// returns an error matching [core.ErrUnexpectedBatchType] before any
// handler runs. The stream processors are a type of their own
// ([Processor], made by [NewKinesis] and [NewDynamoDB]), so that a
// processor reporting sequence numbers cannot be handed to a
// pipe's adapter:
//
//	var processor = core.Must(pipes.NewKinesis(processors.Config{}))
//
//	func main() { lambda.Start(pipes.KinesisHandler(processor, handleRecord)) }
package pipes
