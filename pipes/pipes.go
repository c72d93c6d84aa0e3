package pipes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/processors"
)

// EventBridge Pipes with a Lambda function target invoke it with the source's
// records as a bare JSON array (no "Records" key), even for one record, and
// accept the same partial batch response as Lambda's event source mappings:
// {"batchItemFailures":[{"itemIdentifier":"..."}]}. The identifier Pipes
// expects is the SQS messageId for SQS sources, and the record's eventID (not
// the sequence number) for Kinesis and DynamoDB sources; Kinesis records
// arrive flattened, with the fields of the "kinesis" object at the top level
// of the record.
//
// The Pipes entries below decode each record of the array on its own, with
// the same guarantees as the raw-bytes entries ([ProcessSQSRaw]): a record
// that does not decode fails alone, reported by its identifier, and an event
// that is not a JSON array returns a [core.UnexpectedBatchTypeError] before
// any handler runs.

// ProcessPipesSQSRaw is the raw-bytes entry for an EventBridge pipe whose
// source is an SQS queue (standard or FIFO, by p: [NewSQS] or [NewSQSFIFO])
// and whose target is the Lambda function. Records are events.SQSMessage, as
// for [ProcessSQSRaw], and failures are reported by message id.
func ProcessPipesSQSRaw(ctx context.Context, p core.PartialProcessor[events.SQSMessage], event []byte, h core.Handler[events.SQSMessage]) (core.Response, error) {
	return processPipesRaw(ctx, p, event, h, &raw.SQS, nil, nil)
}

// ProcessPipesKinesisRaw is the raw-bytes entry for an EventBridge pipe whose
// source is a Kinesis stream. Each flattened record is decoded into an
// events.KinesisEventRecord (its kinesisSchemaVersion, partitionKey,
// sequenceNumber, data and approximateArrivalTimestamp into Kinesis), so
// handlers written for [ProcessKinesisRaw] run unchanged, and failures are
// reported by eventID: use [NewPipesKinesis]. A processor that identifies
// records otherwise (such as [NewKinesis], by sequence number) is refused
// with a [*PipesIdentifierError] before any handler runs, since Pipes would
// not recognise its identifiers.
func ProcessPipesKinesisRaw(ctx context.Context, p core.PartialProcessor[events.KinesisEventRecord], event []byte, h core.Handler[events.KinesisEventRecord]) (core.Response, error) {
	return processPipesRaw(ctx, p, event, h, &raw.PipesKinesis, func(r *events.KinesisEventRecord) string { return r.EventID }, readPipesKinesisKeys)
}

// ProcessPipesDynamoDBRaw is the raw-bytes entry for an EventBridge pipe
// whose source is a DynamoDB stream. Records have the shape of Lambda's
// DynamoDB Streams records; failures are reported by eventID: use
// [NewPipesDynamoDB]. A processor that identifies records otherwise (such as
// [NewDynamoDB], by sequence number) is refused with a
// [*PipesIdentifierError] before any handler runs.
func ProcessPipesDynamoDBRaw(ctx context.Context, p core.PartialProcessor[events.DynamoDBEventRecord], event []byte, h core.Handler[events.DynamoDBEventRecord]) (core.Response, error) {
	return processPipesRaw(ctx, p, event, h, &raw.PipesDynamoDB, func(r *events.DynamoDBEventRecord) string { return r.EventID }, nil)
}

// PipesSQSHandler returns a Lambda handler for an EventBridge pipe from an
// SQS queue to the function, for lambda.Start: it runs
// [ProcessPipesSQSRaw] with p and h.
func PipesSQSHandler(p core.PartialProcessor[events.SQSMessage], h core.Handler[events.SQSMessage]) func(context.Context, json.RawMessage) (core.Response, error) {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessPipesSQSRaw(ctx, p, event, h)
	}
}

// PipesKinesisHandler returns a Lambda handler for an EventBridge pipe from a
// Kinesis stream to the function, for lambda.Start: it runs
// [ProcessPipesKinesisRaw] with p (from [NewPipesKinesis]) and h.
func PipesKinesisHandler(p core.PartialProcessor[events.KinesisEventRecord], h core.Handler[events.KinesisEventRecord]) func(context.Context, json.RawMessage) (core.Response, error) {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessPipesKinesisRaw(ctx, p, event, h)
	}
}

// PipesDynamoDBHandler returns a Lambda handler for an EventBridge pipe from
// a DynamoDB stream to the function, for lambda.Start: it runs
// [ProcessPipesDynamoDBRaw] with p (from [NewPipesDynamoDB]) and h.
func PipesDynamoDBHandler(p core.PartialProcessor[events.DynamoDBEventRecord], h core.Handler[events.DynamoDBEventRecord]) func(context.Context, json.RawMessage) (core.Response, error) {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return ProcessPipesDynamoDBRaw(ctx, p, event, h)
	}
}

// NewPipesKinesis returns the processor for Kinesis records delivered by
// EventBridge Pipes: [NewKinesis] (same options, same ordering policies)
// reporting failures by eventID, the identifier Pipes expects.
func NewPipesKinesis(c processors.Config) (*processors.KinesisProcessor, error) {
	if err := c.Validate("kinesis"); err != nil {
		return nil, err
	}
	return core.NewBase(core.Source[events.KinesisEventRecord]{
		Name:         processors.EventSourceKinesis,
		EventSources: []string{processors.EventSourceKinesis},
		EventSource:  func(r *events.KinesisEventRecord) string { return r.EventSource },
		Identify:     func(r *events.KinesisEventRecord) core.Identifier { return core.StringID(r.EventID) },
		Key:          func(r *events.KinesisEventRecord) string { return r.Kinesis.PartitionKey },
		OrderByKey:   c.OrderByKey,
		Stop:         c.StreamPolicy(),
	}, c.Options), nil
}

// NewPipesDynamoDB returns the processor for DynamoDB Streams records
// delivered by EventBridge Pipes: [NewDynamoDB] (same options, same ordering
// policies) reporting failures by eventID, the identifier Pipes expects.
func NewPipesDynamoDB(c processors.Config) (*processors.DynamoDBProcessor, error) {
	if err := c.Validate("dynamodb"); err != nil {
		return nil, err
	}
	return core.NewBase(core.Source[events.DynamoDBEventRecord]{
		Name:         processors.EventSourceDynamoDB,
		EventSources: []string{processors.EventSourceDynamoDB},
		EventSource:  func(r *events.DynamoDBEventRecord) string { return r.EventSource },
		Identify:     func(r *events.DynamoDBEventRecord) core.Identifier { return core.StringID(r.EventID) },
		Key:          processors.ItemKey,
		OrderByKey:   c.OrderByKey,
		Stop:         c.StreamPolicy(),
	}, c.Options), nil
}

// ErrPipesIdentifier matches every [*PipesIdentifierError] with errors.Is.
var ErrPipesIdentifier = errors.New("batchkit: processor does not identify records as EventBridge Pipes expects")

// PipesIdentifierError is returned, before any handler runs, when a Pipes
// entry for Kinesis or DynamoDB is given a processor that does not identify
// records by their eventID (for example [NewKinesis], which reports sequence
// numbers): Pipes would not recognise the reported identifiers. Use
// [NewPipesKinesis] or [NewPipesDynamoDB].
type PipesIdentifierError struct {
	// Position is the first record whose identifier is not its eventID.
	Position int
	// Got is the identifier the processor gives the record.
	Got string
	// Want is the record's eventID.
	Want string
}

// Error says which record is misidentified and what to use instead.
func (e *PipesIdentifierError) Error() string {
	return fmt.Sprintf("batchkit: record %d would be reported as %q but EventBridge Pipes identifies it by its eventID %q; use pipes.NewPipesKinesis or pipes.NewPipesDynamoDB (no record was handled)", e.Position, e.Got, e.Want)
}

// Is matches [ErrPipesIdentifier].
func (e *PipesIdentifierError) Is(target error) bool { return target == ErrPipesIdentifier }

// processPipesRaw is the Pipes entry for one record type: the records are
// the elements of the top-level array. eventID, when not nil, reads the
// identifier Pipes expects, which p must report. readKeys, when not nil,
// reads the ordering key of the records that did not decode where the
// record's shape differs from the event source mapping's (the flattened
// Kinesis record).
//
// A record that did not decode fails with its ordering key when it could be
// read, and otherwise with an unknown key (core.Batch.FailUnknownKey), so
// that under a stop-by-key policy (FIFO skip-group, streams with
// stop-on-first-failure) no later record of its key runs and succeeds
// before it.
func processPipesRaw[R any](ctx context.Context, p core.PartialProcessor[R], event []byte, h core.Handler[R], k *raw.Kind[R], eventID func(*R) string, readKeys func(event string, records []R, failures []*core.RecordDecodeError)) (core.Response, error) {
	records, failures, err := raw.DecodeArrayEvent(string(event), k)
	if err != nil {
		return core.Response{}, err
	}
	if readKeys != nil && len(failures) > 0 {
		readKeys(string(event), records, failures)
	}
	if eventID != nil {
		if err := checkPipesIdentifiers(p, records, eventID); err != nil {
			return core.Response{}, err
		}
	}
	b := core.NewBatch(records, h)
	for _, f := range failures {
		if f.KeyUnknown {
			b.FailUnknownKey(f.Position, f) // may share a later record's key
		} else {
			b.Fail(f.Position, f)
		}
	}
	return core.Run(ctx, p, b)
}

// readPipesKinesisKeys reads the partition key of each flattened Kinesis
// record that did not decode from its top-level "partitionKey" (the raw
// entry's reader looks in the "kinesis" object, which Pipes records lack).
// A key that cannot be read leaves the record's key unknown.
func readPipesKinesisKeys(event string, records []events.KinesisEventRecord, failures []*core.RecordDecodeError) {
	var raws []json.RawMessage
	if json.Unmarshal([]byte(event), &raws) != nil || len(raws) != len(records) {
		for _, f := range failures {
			f.KeyUnknown = true
		}
		return
	}
	for _, f := range failures {
		pk := raw.FindString(string(raws[f.Position]), []string{"partitionKey"})
		if pk == "" {
			f.KeyUnknown = true
			continue
		}
		records[f.Position].Kinesis.PartitionKey = pk
		f.KeyUnknown = false
	}
}

// checkPipesIdentifiers requires p (when it tells its identifiers, as every
// [core.Base] does) to identify each record by its eventID.
func checkPipesIdentifiers[R any](p core.PartialProcessor[R], records []R, eventID func(*R) string) error {
	pl, ok := p.(core.Planner[R])
	if !ok {
		return nil
	}
	identify := pl.Plan().Source.Identify
	if identify == nil {
		return nil
	}
	for i := range records {
		want := eventID(&records[i])
		if want == "" {
			continue // reported as unidentifiable if it fails
		}
		if got := identify(&records[i]); got.IsKafka() || got.ID != want {
			return &PipesIdentifierError{Position: i, Got: got.String(), Want: want}
		}
	}
	return nil
}
