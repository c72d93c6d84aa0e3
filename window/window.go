package window

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// defaultMaxStateBytes is Lambda's limit on a window's state, 1 MB
// (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html).
const defaultMaxStateBytes = 1 << 20

// Properties are the tumbling window fields of a Kinesis or DynamoDB
// Streams event, beside its Records
// (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html,
// https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-windows.html).
// Window is aws-lambda-go's (start and end, RFC 3339). State is kept as the
// JSON Lambda sent: any JSON value (the AWS examples use numbers, which
// aws-lambda-go's map[string]string state refuses).
type Properties struct {
	// Window is the window the records belong to: Window.Start.Time and
	// Window.End.Time.
	Window events.Window `json:"window"`
	// State is what the previous invocation of the window returned, as
	// JSON; empty or {} on a window's first invocation.
	State json.RawMessage `json:"state,omitempty"`
	// ShardID is the shard of the records.
	ShardID string `json:"shardId"`
	// EventSourceARN is the stream's ARN.
	EventSourceARN string `json:"eventSourceARN"`
	// IsFinalInvokeForWindow is set on the window's last invocation: the
	// aggregate is complete and is published (see [Aggregate].Publish).
	IsFinalInvokeForWindow bool `json:"isFinalInvokeForWindow"`
	// IsWindowTerminatedEarly is set when Lambda ended the window early
	// (its state reached 1 MB); the next invocation starts a fresh state.
	IsWindowTerminatedEarly bool `json:"isWindowTerminatedEarly"`
}

// Event is a Kinesis (R events.KinesisEventRecord) or DynamoDB Streams (R
// events.DynamoDBEventRecord) event with tumbling window fields, for
// [Process]: decode the event Lambda sent into it with encoding/json.
type Event[R any] struct {
	// Records are the window's records of this invocation, in shard order.
	Records []R `json:"Records"`
	Properties
}

// Response is the response of a tumbling window invocation:
// {"state": ..., "batchItemFailures": [...]}. State is always present ({}
// for a state that encodes as null), since Lambda fails an invocation whose
// response has none, and the list is empty, never null, when nothing failed.
type Response struct {
	// State is the aggregate after the invocation's succeeded records, as
	// JSON.
	State json.RawMessage `json:"state"`
	// BatchItemFailures are the records not in State, by sequence number.
	BatchItemFailures []core.BatchItemFailure `json:"batchItemFailures"`
}

// MarshalJSON writes {} for an empty or null state and [] for no failures.
func (r Response) MarshalJSON() ([]byte, error) {
	type plain Response
	if t := bytes.TrimSpace(r.State); len(t) == 0 || string(t) == "null" {
		r.State = json.RawMessage("{}")
	}
	if r.BatchItemFailures == nil {
		r.BatchItemFailures = []core.BatchItemFailure{}
	}
	return json.Marshal(plain(r))
}

// Aggregate is what a tumbling window computes: a state S folded from the
// window's records R (events.KinesisEventRecord or
// events.DynamoDBEventRecord), published once the window is complete.
type Aggregate[R, S any] struct {
	// Fold folds one record into the state. An error or a panic fails the
	// record, and the records after it are not folded: all of them are
	// reported, and none of their effect is in the state returned. Fold
	// must change nothing but the state, and depend only on the state and
	// the record: to undo a failed fold on a state with pointers, maps or
	// slices, the state is rebuilt by decoding the incoming state again and
	// folding the records before the failed one again (a state without
	// them is restored from a copy instead).
	Fold func(ctx context.Context, state *S, record *R) error
	// Publish, optional, acts on the complete aggregate on the window's
	// final invocation, when every record of that invocation succeeded
	// (with a failure, the records are re-delivered and the window is
	// published by the invocation that completes it). Its error, or panic,
	// fails the invocation, so that Lambda retries it with the same state.
	// When window.IsWindowTerminatedEarly, Lambda ended the window before
	// its end (its state reached 1 MB): the aggregate covers only part of
	// the window, and the rest follows in a fresh state, published again.
	Publish func(ctx context.Context, state S, window Properties) error
}

// Config configures a tumbling window processor. The zero value is
// Powertools' default.
type Config struct {
	// Options are the shared settings: SuppressFullBatchError,
	// DeadlineMargin and Hooks. Concurrency must be 0 or 1: a window folds
	// its records one at a time, in order, and stops at the first failure.
	core.Options
	// MaxStateBytes bounds the returned state's JSON; 0 is Lambda's 1 MB.
	MaxStateBytes int
}

// The names of the tumbling window processors, for [core.ConfigError]s.
const (
	nameKinesis  = "kinesis-window"
	nameDynamoDB = "dynamodb-window"
)

// Processor is the processor of tumbling windows over records R
// (events.KinesisEventRecord or events.DynamoDBEventRecord), made by
// [NewKinesis] or [NewDynamoDB]. Run it with [KinesisHandler],
// [DynamoDBHandler] or [Process]. Immutable and safe for concurrent use:
// each invocation's state lives in the invocation.
type Processor[R any] struct {
	lc *lifecycle[R]
}

// NewKinesis returns the tumbling window processor for Kinesis Data
// Streams. A wrong setting is a [*core.ConfigError].
func NewKinesis(c Config) (*Processor[events.KinesisEventRecord], error) {
	return newProcessor(nameKinesis, c, core.Source[events.KinesisEventRecord]{
		Name:         processors.EventSourceKinesis,
		EventSources: []string{processors.EventSourceKinesis},
		EventSource:  func(r *events.KinesisEventRecord) string { return r.EventSource },
		Identify: func(r *events.KinesisEventRecord) core.Identifier {
			return core.StringID(r.Kinesis.SequenceNumber)
		},
		Key: func(r *events.KinesisEventRecord) string { return r.Kinesis.PartitionKey },
	})
}

// NewDynamoDB returns the tumbling window processor for DynamoDB Streams.
// A wrong setting is a [*core.ConfigError].
func NewDynamoDB(c Config) (*Processor[events.DynamoDBEventRecord], error) {
	return newProcessor(nameDynamoDB, c, core.Source[events.DynamoDBEventRecord]{
		Name:         processors.EventSourceDynamoDB,
		EventSources: []string{processors.EventSourceDynamoDB},
		EventSource:  func(r *events.DynamoDBEventRecord) string { return r.EventSource },
		Identify: func(r *events.DynamoDBEventRecord) core.Identifier {
			return core.StringID(r.Change.SequenceNumber)
		},
		Key: processors.ItemKey,
	})
}

func newProcessor[R any](name string, c Config, src core.Source[R]) (*Processor[R], error) {
	if err := c.Options.Validate(name); err != nil {
		return nil, err
	}
	if c.Concurrency > 1 {
		return nil, &core.ConfigError{Processor: name, Setting: "Concurrency", Value: strconv.Itoa(c.Concurrency),
			Problem: "a window folds one record at a time"}
	}
	switch {
	case c.MaxStateBytes == 0:
		c.MaxStateBytes = defaultMaxStateBytes
	case c.MaxStateBytes < 0:
		return nil, &core.ConfigError{Processor: name, Setting: "MaxStateBytes", Value: strconv.Itoa(c.MaxStateBytes),
			Problem: "negative"}
	}
	// The records are folded in order and the batch stops at the first
	// failure: the failures reported are exactly the records from the
	// first failure on, which Lambda re-delivers.
	src.Stop = core.StopBatch
	return &Processor[R]{lc: &lifecycle[R]{Base: core.NewBase(src, c.Options), maxStateBytes: c.MaxStateBytes}}, nil
}

// Process runs one tumbling window invocation of an event already decoded:
// it decodes the incoming state into S,
// folds the records into it with agg.Fold, reports the first failed record
// and every one after it, publishes the aggregate on the window's final
// invocation when nothing failed, and returns the state.
//
//	resp, err := window.Process(ctx, processor, event, aggregate)
//
// The error is the invocation's, and with any of them Lambda retries the
// invocation with the same state: an error matching [core.ErrEventSourceMismatch]
// (another event source), a [*core.FullBatchFailureError] (every record
// failed), a [*StateError], an error matching [ErrStateTooLarge] (checked
// before publishing) or one matching [ErrPublish]. Hooks see every one of
// them. event is not changed.
func Process[R, S any](ctx context.Context, p *Processor[R], event Event[R], agg Aggregate[R, S]) (Response, error) {
	return run(ctx, p, event.Properties, event.Records, nil, agg)
}

func run[R, S any](ctx context.Context, p *Processor[R], props Properties, records []R, failures []*core.RecordDecodeError, agg Aggregate[R, S]) (Response, error) {
	if p == nil || p.lc == nil {
		return Response{}, errors.New("batchkit: window.Process needs a processor (window.NewKinesis or NewDynamoDB), got nil")
	}
	if agg.Fold == nil {
		_, err := core.Refuse(ctx, p.lc, records, errors.New("batchkit: window aggregate without a Fold"))
		return Response{}, err
	}
	inv := &invocation[R, S]{agg: agg, props: props, maxStateBytes: p.lc.maxStateBytes, plain: pointerFree[S]()}
	b := core.NewBatch(records, inv.fold)
	b.State = inv
	for _, f := range failures {
		b.Fail(f.Position, f)
	}
	resp, err := core.Run(ctx, p.lc, b)
	if err != nil {
		return Response{}, err
	}
	return Response{State: inv.data, BatchItemFailures: resp.BatchItemFailures}, nil
}

// lifecycle is the window's processor in core's lifecycle: a Base (source
// check in Prepare, StopBatch, the partial response) whose Prepare also
// decodes the incoming state and whose Response also finishes the window
// (rebuild, encode, size check, publish), whether hooks are set or not.
type lifecycle[R any] struct {
	*core.Base[R]
	maxStateBytes int
}

// windowRun is a window invocation, held in the batch's State.
type windowRun[R any] interface {
	start() error
	foldRecord(ctx context.Context, r *R) core.Outcome
	finish(ctx context.Context, b *core.Batch[R]) error
}

// ProcessRecord folds record i into the invocation's state.
func (l *lifecycle[R]) ProcessRecord(ctx context.Context, b *core.Batch[R], i int) core.Outcome {
	return b.State.(windowRun[R]).foldRecord(ctx, &b.Records[i])
}

// Prepare refuses a batch from another event source, then decodes the
// incoming state.
func (l *lifecycle[R]) Prepare(ctx context.Context, b *core.Batch[R]) error {
	if err := l.Base.Prepare(ctx, b); err != nil {
		return err
	}
	w, ok := b.State.(windowRun[R])
	if !ok {
		return errors.New("batchkit: a window batch must be run by window.Process")
	}
	return w.start()
}

// Response builds the partial response (the records from the first failure
// on) and, when it is not an error, finishes the window; a finish error
// fails the invocation.
func (l *lifecycle[R]) Response(ctx context.Context, b *core.Batch[R]) (core.Response, error) {
	resp, err := l.Base.Response(ctx, b)
	if err != nil {
		return resp, err
	}
	if err := b.State.(windowRun[R]).finish(ctx, b); err != nil {
		return core.Response{}, err
	}
	return resp, nil
}
