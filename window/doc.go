// Package window runs the tumbling windows of Kinesis Data Streams and
// DynamoDB Streams: an aggregate of a shard's records over a fixed window,
// carried by Lambda from one invocation of the window to the next.
//
// # When
//
// Use it for a Lambda function whose event source mapping sets
// TumblingWindowInSeconds
// (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html,
// https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-windows.html).
// Each invocation receives the state the previous one returned and must
// return {"state": ..., "batchItemFailures": [...]}; the last invocation of
// a window (isFinalInvokeForWindow) is where the aggregate is acted on. For
// plain stream processing without windows, use package processors.
//
// # How
//
// An [Aggregate] says what the window computes: a state S of the user's
// type, a Fold that folds one record into it, and an optional Publish for
// the window's final invocation. The processor ([NewKinesis], [NewDynamoDB])
// decodes the incoming state into S, folds the records into it in input
// order, one at a time, through batchkit's lifecycle (hooks, deadline
// margin, panic recovery: the fold is the record handler), then rebuilds,
// encodes, size-checks and publishes the state, also inside the lifecycle,
// so hooks see every outcome and turning hooks on changes no result.
// [KinesisHandler] and [DynamoDBHandler] are the Lambda handlers;
// [Process] runs an event already decoded (an [Event]).
//
//	var processor = core.Must(window.NewKinesis(window.Config{}))
//
//	var totals = window.Aggregate[events.KinesisEventRecord, Totals]{
//		Fold: func(ctx context.Context, s *Totals, r *events.KinesisEventRecord) error {
//			s.Count++
//			return nil
//		},
//		Publish: func(ctx context.Context, s Totals, w window.Properties) error {
//			return store(ctx, w.Window.End.Time, s)
//		},
//	}
//
//	func main() { lambda.Start(window.KinesisHandler(processor, totals)) }
//
// # Failures
//
// The state returned reflects exactly the records reported succeeded.
// Lambda re-delivers a shard from the lowest failed sequence number, so a
// record whose Fold fails (error or panic) stops the window's invocation:
// it and every record after it are left out of the state and reported in
// batchItemFailures, or they would be counted twice. The failed fold's own
// effect is undone: when S holds no pointers, maps or slices (numbers,
// strings, arrays and structs of them) the state is copied before each fold
// and restored when it fails, which costs no allocation; otherwise the state
// is rebuilt by decoding the incoming state again and folding the records
// before the failed one again. Fold must therefore be a pure function of the
// state and the record.
//
// The whole invocation fails (Lambda retries it with the same state) when
// the incoming state does not decode into S or the state does not encode
// ([*StateError], also when S's UnmarshalJSON or MarshalJSON panics: its
// cause is a [*core.PanicError]), when the state to return is over Lambda's
// 1 MB ([ErrStateTooLarge], checked before publishing), when Publish
// fails or panics ([ErrPublish], wrapping Publish's error or the
// [*core.PanicError]), and when every record failed
// ([*core.FullBatchFailureError], unless Config.SuppressFullBatchError).
//
// Records are folded one at a time, in order, whatever the aggregate: a
// fold changes one shared state, so folding concurrently would serialise on
// a lock and only add scheduling (Config refuses a Concurrency above 1).
package window
