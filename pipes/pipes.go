package pipes

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/processors"
)

// Processor is the processor of Kinesis (R events.KinesisEventRecord) or
// DynamoDB Streams (R events.DynamoDBEventRecord) records delivered by a
// pipe, made by [NewKinesis] or [NewDynamoDB]: processors' stream processor,
// reporting failures by eventID. A type of its own, so that a processor
// reporting sequence numbers cannot be given to [KinesisHandler] or
// [DynamoDBHandler]: Pipes would not recognise them.
type Processor[R any] struct {
	*core.Base[R]
}

// NewKinesis returns the processor for Kinesis records delivered by a pipe:
// the settings and ordering policies of processors.NewKinesis (c is checked
// as for "kinesis"), failures reported by eventID.
func NewKinesis(c processors.Config) (*Processor[events.KinesisEventRecord], error) {
	if err := c.Validate("kinesis"); err != nil {
		return nil, err
	}
	return &Processor[events.KinesisEventRecord]{core.NewBase(core.Source[events.KinesisEventRecord]{
		Name:         processors.EventSourceKinesis,
		EventSources: []string{processors.EventSourceKinesis},
		EventSource:  func(r *events.KinesisEventRecord) string { return r.EventSource },
		Identify:     func(r *events.KinesisEventRecord) core.Identifier { return core.StringID(r.EventID) },
		Key:          func(r *events.KinesisEventRecord) string { return r.Kinesis.PartitionKey },
		OrderByKey:   c.OrderByKey,
		Stop:         c.StreamPolicy(),
	}, c.Options)}, nil
}

// NewDynamoDB returns the processor for DynamoDB Streams records delivered by
// a pipe: the settings and ordering policies of processors.NewDynamoDB (c is
// checked as for "dynamodb"), failures reported by eventID.
func NewDynamoDB(c processors.Config) (*Processor[events.DynamoDBEventRecord], error) {
	if err := c.Validate("dynamodb"); err != nil {
		return nil, err
	}
	return &Processor[events.DynamoDBEventRecord]{core.NewBase(core.Source[events.DynamoDBEventRecord]{
		Name:         processors.EventSourceDynamoDB,
		EventSources: []string{processors.EventSourceDynamoDB},
		EventSource:  func(r *events.DynamoDBEventRecord) string { return r.EventSource },
		Identify:     func(r *events.DynamoDBEventRecord) core.Identifier { return core.StringID(r.EventID) },
		Key:          processors.ItemKey,
		OrderByKey:   c.OrderByKey,
		Stop:         c.StreamPolicy(),
	}, c.Options)}, nil
}

// SQSHandler returns the Lambda handler of a function that is the target of
// a pipe whose source is an SQS queue (standard or FIFO, by p:
// processors.NewSQS or processors.NewSQSFIFO). Records are
// events.SQSMessage and failures are reported by message id, as Pipes
// expects.
func SQSHandler(p core.PartialProcessor[events.SQSMessage], h core.Handler[events.SQSMessage]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processPipesRaw(ctx, p, event, h, &raw.SQS, nil)
	}
}

// KinesisHandler returns the Lambda handler of a function that is the
// target of a pipe whose source is a Kinesis stream. Each flattened record is
// decoded into an events.KinesisEventRecord (the fields of Lambda's "kinesis"
// object filled from the record's top level), so handlers written for
// processors.KinesisHandler work unchanged.
func KinesisHandler(p *Processor[events.KinesisEventRecord], h core.Handler[events.KinesisEventRecord]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processPipesRaw(ctx, p, event, h, &raw.PipesKinesis, readPipesKinesisKeys)
	}
}

// DynamoDBHandler returns the Lambda handler of a function that is the
// target of a pipe whose source is a DynamoDB stream; records are
// events.DynamoDBEventRecord, as Lambda's event source mapping delivers
// them.
func DynamoDBHandler(p *Processor[events.DynamoDBEventRecord], h core.Handler[events.DynamoDBEventRecord]) core.LambdaHandler[core.Response] {
	return func(ctx context.Context, event json.RawMessage) (core.Response, error) {
		return processPipesRaw(ctx, p, event, h, &raw.PipesDynamoDB, nil)
	}
}

// processPipesRaw is the Pipes entry for one record type: the records are
// the elements of the top-level array. readKeys, when not nil,
// reads the ordering key of the records that did not decode where the
// record's shape differs from the event source mapping's (the flattened
// Kinesis record).
//
// A record that did not decode fails with its ordering key when it could be
// read, and otherwise with an unknown key (core.Batch.FailUnknownKey), so
// that under a stop-by-key policy (FIFO skip-group, streams with
// stop-on-first-failure) no later record of its key runs and succeeds
// before it.
func processPipesRaw[R any](ctx context.Context, p core.PartialProcessor[R], event []byte, h core.Handler[R], k *raw.Kind[R], readKeys func(event string, records []R, failures []*core.RecordDecodeError)) (core.Response, error) {
	records, failures, err := raw.DecodeArrayEvent(string(event), k)
	if err != nil {
		return core.Refuse(ctx, p, records, err) // hooks see the refused invocation
	}
	if readKeys != nil && len(failures) > 0 {
		readKeys(string(event), records, failures)
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
