// Package core is the engine of batchkit: the [PartialProcessor] interface that
// every processor implements, the [Base] that built-in and custom processors
// embed, and the one entry point, [Process] (or [Run] for full control), that
// drives any processor through its lifecycle:
//
//	Prepare(batch)              refuse a batch it cannot report on (event source)
//	ProcessRecord(batch, i)     per record: the handler, panics recovered
//	Clean(batch)                release what Prepare or ProcessRecord took
//	Response(batch)             failed identifiers in input order, or an error
//
// The lifecycle owns what is the same for every event source: scheduling
// (sequential, bounded concurrency, per-key ordering, stop-on-failure),
// the Lambda deadline, panic recovery, outcomes and hooks. A processor owns
// only what differs: the event source it accepts, how to identify a record,
// its ordering key and its stop policy (a [Source]).
//
// Per-invocation state lives in a [Batch], never on the processor, so one
// processor value serves concurrent invocations and warm starts safely.
//
// The response marshals exactly as Lambda expects
// (`{"batchItemFailures":[{"itemIdentifier":"..."}]}`, an empty list when
// nothing failed), for string identifiers (SQS, Kinesis, DynamoDB Streams) and
// for Kafka's object identifiers alike.
//
// core imports no observability library: hooks (package hooks/...) plug in
// through the [Hook] interface.
package core
