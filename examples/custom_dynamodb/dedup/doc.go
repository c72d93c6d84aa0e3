// Package dedup is a custom batchkit processor that deduplicates records
// against a DynamoDB table before the handler runs: Powertools' "create
// your own partial processor" example, done properly. A record whose key was
// already handled successfully is reported as a success without calling the
// handler again, so a message delivered twice (SQS at-least-once delivery, a
// producer's retry, a batch retried after a timeout) has its side effects
// once.
//
// # Claim states
//
// Every record has a key: by default its identifier (the SQS message id, the
// stream sequence number); [Config.Key] derives another one, for example an
// order id from the body. Each key has at most one item in the table, which
// moves through these states:
//
//	absent ──claim──▶ IN_PROGRESS ──handler succeeds──▶ COMPLETED ──TTL──▶ absent
//	                      │
//	                      ├─ handler fails: release (delete) ──▶ absent, the retry runs
//	                      └─ crash (timeout, OOM): in_progress_expiration passes,
//	                         the next delivery claims it again
//
// Step by step, for each record:
//
//   - Claim: a conditional PutItem writes {status: IN_PROGRESS,
//     in_progress_expiration: now + in-progress expiry, owner: a random token}
//     only if the item is absent, or is IN_PROGRESS with an expiry in the past
//     (its owner crashed), or its TTL has passed (DynamoDB's TTL deletion can
//     lag by hours, so the condition checks expiration itself).
//   - The claim succeeds: the handler runs. On success the key joins the
//     invocation's completions, which Clean commits after the last record:
//     one TransactWriteItems per 100 keys whose updates, on condition that
//     the claim is still ours (owner), set status COMPLETED and expiration =
//     now + [Config.TTL] in epoch seconds: the table's TTL attribute, so
//     DynamoDB deletes it later (a failed transaction is retried key by key).
//     On failure a DeleteItem, on the same condition, releases the claim at
//     once so that Lambda's retry runs the handler again.
//   - A key already handled earlier in the same invocation is a duplicate
//     without a DynamoDB call, before its completion is committed.
//   - The claim fails because the item is COMPLETED: the record is a
//     duplicate: success, the handler is not called, and the outcome's Result
//     is a [Duplicate].
//   - The claim fails because the item is IN_PROGRESS and not expired:
//     another invocation (or an earlier record of the same batch, under
//     concurrency) is handling the key. The record fails with an
//     [*InProgressError], so Lambda delivers it again later, when the other
//     invocation has completed (then it is a duplicate) or released the key
//     (then it runs).
//   - DynamoDB errors (throttling, network, missing table) fail only the
//     record at hand, with a [*StoreError]; the rest of the batch goes on.
//
// The in-progress expiry defaults to the invocation's remaining time, so that
// a claim left by a crashed invocation expires when that invocation would
// have timed out; set [Config.InProgressExpiry] to override it.
//
// A successful handler whose COMPLETED write fails is still a success (its
// side effects happened; reporting it failed would run it again for sure):
// the claim stays IN_PROGRESS until it expires, and the failure is logged
// with log/slog.
//
// The invocation's claim token and its completions are per-invocation
// state: Prepare puts them in [core.Batch.State], ProcessRecord adds to them
// and Clean commits them; the processor itself holds none, so one value
// serves concurrent invocations.
//
// # The table
//
// One partition key of type string (named by [Config.KeyAttribute], "id" by
// default), and Time to Live enabled on the attribute "expiration". See
// template.yaml next to the example function for a SAM definition.
//
// # Use
//
//	base, err := processors.NewSQS(processors.Config{})
//	p, err := dedup.New(base, dedup.Config[events.SQSMessage]{Client: dynamodb.NewFromConfig(cfg), Table: "orders-dedup"})
//	resp, err := core.Process(ctx, p, event.Records, handler)
package dedup
