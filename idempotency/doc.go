// Package idempotency makes batchkit record handlers idempotent: a record
// whose work was already done is skipped and reported succeeded, so a
// message delivered twice (SQS at-least-once delivery, a producer's retry,
// a batch retried after a partial failure or a timeout) has its side
// effects once. It is the Go counterpart of the Powertools Idempotency
// utility, built for batches; docs/idempotency.md compares the two.
//
// It is a module of its own (github.com/batchkit/batchkit/idempotency),
// since its DynamoDB store needs the AWS SDK and batchkit's root module
// does not.
//
// # Use
//
// Wrap a handler, of any source or adapter (every one is a
// [core.Handler]: raw records, typed payloads, envelopes):
//
//	store, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: dynamodb.NewFromConfig(cfg), Table: "orders-idempotency"})
//	h, err := idempotency.Handler(idempotency.Config[events.SQSMessage]{
//		Store: store,
//		Key:   func(m *events.SQSMessage) (string, error) { return m.MessageId, nil },
//	}, processors.SQSJSON(handleOrder))
//	lambda.Start(processors.SQSHandler(processor, h))
//
// or a whole processor with [New], which also claims a batch's keys in one
// round trip and marks skipped records' outcomes with a [Duplicate]; or a
// handler that returns a value (the firehose, s3batch and window packages)
// with [ResultHandler], which stores the value and returns it for a
// duplicate.
//
// # What happens to a record
//
//   - Its key is read with [Config.Key] (and its payload hashed with
//     [Config.Payload], when set). No key: the record fails ([*KeyError]).
//   - The key is claimed: a conditional write that succeeds only when the
//     key is free. The claim lasts until the invocation's deadline (the
//     context's, which aws-lambda-go sets from Lambda's), so a crashed or
//     timed-out invocation blocks the key no longer than it could have run.
//   - Claimed: the handler runs. Success: the key is completed and kept for
//     [Config.TTL] (DynamoDB deletes it afterwards through its Time to Live
//     attribute). Failure, panic or runtime.Goexit: the claim is released
//     and Lambda's retry runs the record again.
//   - Completed already: the record is skipped and succeeds; with a payload
//     hash that differs, it fails with a [*PayloadMismatchError] instead.
//   - Claimed by another invocation (or by another record of the batch
//     running at the same time): the record fails with an
//     [*InProgressError] and is retried later, when the key is completed
//     (then skipped) or free (then run).
//   - The store fails (DynamoDB unreachable, throttled, missing table):
//     the record fails with a [*StoreError] before its handler runs. A
//     record is never reported done that was not handled.
//
// A [Handler] nested inside a [Processor] on the same store and key (a
// shared handler used both ways) runs its handler under the processor's
// claim instead of claiming the key again.
//
// A record whose handler succeeded but whose completion could not be
// written is still a success (its work is done; failing it would run it
// again for sure); its key stays claimed until the claim expires, and a
// warning is logged with log/slog.
//
// # Ordering
//
// Whether a record is skipped is decided when the processor schedules it,
// never earlier: with SQS FIFO (whole batch or one message group stopped
// after a failure) and streams with stop-on-failure by partition key, a
// duplicate behind a failed record is short-circuited like any other
// record, so a skipped duplicate never reports a group's later records
// done ahead of a failure. A key in progress elsewhere is a failure, so it
// stops its group too.
//
// # Stores
//
// [*DynamoDBStore] keeps keys in a DynamoDB table whose partition key is a
// string ("id" by default) with Time to Live on [TTLAttribute];
// examples/idempotency/template.yaml defines one. [*MemoryStore] follows
// the same rules in memory, for unit tests. Any [Store] plugs in; a
// [BatchStore] claims many keys in fewer round trips.
package idempotency
