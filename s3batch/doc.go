// Package s3batch runs an Amazon S3 Batch Operations ("Invoke AWS Lambda
// function") function on batchkit's lifecycle.
//
// S3 Batch Operations sends the function one or more tasks, each naming an
// object, and expects one result per task: Succeeded, TemporaryFailure (S3
// retries the task) or PermanentFailure, with a result string for the job's
// completion report
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html).
// A handler is a [Func]: it returns the result string and an error:
//
//	var processor = core.Must(s3batch.New(s3batch.Config{}))
//
//	func archive(ctx context.Context, task *s3batch.Task) (string, error) {
//		if strings.HasSuffix(task.Key, ".tmp") {
//			return "", s3batch.Permanent(errors.New("temporary files are not archived"))
//		}
//		return "archived", copyObject(ctx, task.Bucket(), task.Key) // an error: TemporaryFailure
//	}
//
//	func main() { lambda.Start(s3batch.Handler(processor, archive)) }
//
// [Args] decodes and validates the job's user arguments (schema 2.0) into
// your type. [Handler] is the Lambda handler (it decodes the event bytes
// itself, schema 1.0 and 2.0, so a task that does not decode fails alone);
// [Process] runs a decoded [Event].
//
// What the response says:
//   - Succeeded only when the handler returned nil (before the deadline
//     margin, see [core.Options]); the result string is what it returned.
//   - PermanentFailure for an error made by [Permanent] (wrapped again or
//     not), a key that is not valid URL encoding, a task that does not decode and
//     user arguments that do not decode. TemporaryFailure for any other
//     error, a panic (the handler's, or a method of its error: a typed-nil
//     error whose Error panics, an Is or Unwrap that panics), a task not
//     started before the margin and a handler that returned after it. The
//     error's message is the result string.
//   - Task.Key is the s3Key decoded exactly once (+ is a space); S3Key
//     keeps it as sent.
//   - Every task is in the results, so treatMissingKeysAs
//     ([Config].TreatMissingKeysAs) never applies; a batch whose tasks all
//     failed is a response. The invocation fails (S3 retries it) only for a
//     task without taskId or an event that is not an S3 Batch Operations
//     event; hooks see every invocation, refused ones included.
//
// The processor is a [core.PartialProcessor]: it runs on the same lifecycle
// as the partial batch response sources (concurrency, deadline margin,
// hooks, panic recovery). The handlers see copies of the tasks with Key and
// Job set; results are kept per invocation: no entry changes the event it
// is given.
package s3batch
