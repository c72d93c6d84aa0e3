// Package firehose runs an Amazon Data Firehose data-transformation Lambda
// function on batchkit's lifecycle.
//
// Firehose sends the function a batch of records and expects every record
// back exactly once, in input order, each Ok (with its transformed data),
// Dropped, or ProcessingFailed (Firehose retries it, then backs it up)
// (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
// A handler is a [Func]: it returns the record's [Result] (Data, or Drop,
// with PartitionKeys for dynamic partitioning) or an error:
//
//	var processor = core.Must(firehose.New(firehose.Config{}))
//
//	func transform(ctx context.Context, rec *firehose.Record) (firehose.Result, error) {
//		if len(rec.Data) == 0 {
//			return firehose.Result{Drop: true}, nil
//		}
//		return firehose.Result{Data: bytes.ToUpper(rec.Data)}, nil
//	}
//
//	func main() { lambda.Start(firehose.Handler(processor, transform)) }
//
// [JSON] decodes and validates each payload into your type and encodes what
// you return. [Handler] is the Lambda handler (it decodes the event bytes
// itself, so a record that does not decode fails alone); [Process] runs a
// decoded [Event].
//
// What the response says:
//   - Ok or Dropped only when the handler returned nil (before the deadline
//     margin, see [core.Options]). An error, a panic (the handler's, or a
//     method of your payload or output type: UnmarshalJSON, Validate,
//     MarshalJSON), a record not started before the margin, a handler that
//     returned after it, a record that does not decode, and a Result with
//     Drop and Data are ProcessingFailed; [ResponseRecord.Err] says why (it
//     is not sent).
//   - The response stays under Lambda's 6 MB response limit
//     ([Config].MaxResponseBytes): records keep their data in input order
//     while it fits; one that does not fit is ProcessingFailed with
//     [ErrResponseSize] instead of the whole response being refused.
//   - An Amazon MSK source sends kafkaRecordValue instead of data:
//     [Record.Payload] returns either, and the response answers in kind.
//   - The invocation fails (Firehose retries the whole batch) only when the
//     response cannot be built: a record without recordId, an event without
//     a records array, a response over the limit with every record failed.
//     Hooks see every invocation, refused ones included.
//
// The processor is a [core.PartialProcessor]: it runs on the same lifecycle
// as the partial batch response sources (concurrency, deadline margin,
// hooks, panic recovery). The handlers' results are kept per invocation,
// never in the caller's records: no entry changes the event it is given.
package firehose
