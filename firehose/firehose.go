package firehose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/internal/userfn"
	"github.com/batchkit/batchkit/payload"
)

// The results of a record in the [Response], aws-lambda-go's constants
// (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
const (
	// resultOk: the record was transformed (its handler returned nil).
	resultOk = events.KinesisFirehoseTransformedStateOk
	// resultDropped: the handler returned nil and asked to drop the record.
	resultDropped = events.KinesisFirehoseTransformedStateDropped
	// resultFailed: the record failed; Firehose retries it or backs it up
	// to the processing-failed prefix.
	resultFailed = events.KinesisFirehoseTransformedStateProcessingFailed
)

// eventSource names Firehose to hooks (core.BatchInfo.EventSource is
// "aws:firehose").
const eventSource = "aws:firehose"

// maxResponseBytes is Lambda's limit on a synchronous response, 6 MB, the
// default bound of a response
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
const maxResponseBytes = 6 << 20

// Event is the event of a Firehose data transformation
// (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
type Event struct {
	// InvocationID identifies the invocation.
	InvocationID string `json:"invocationId"`
	// DeliveryStreamArn is the Firehose stream's ARN.
	DeliveryStreamArn string `json:"deliveryStreamArn"`
	// SourceKinesisStreamArn is the source stream's ARN, when the source
	// is a Kinesis data stream.
	SourceKinesisStreamArn string `json:"sourceKinesisStreamArn,omitempty"`
	// Region is the stream's region.
	Region string `json:"region"`
	// Records are the records to transform.
	Records []Record `json:"records"`
}

// Record is one record of an [Event].
type Record struct {
	// RecordID identifies the record; the response echoes it.
	RecordID string `json:"recordId"`
	// ApproximateArrivalTimestamp is the arrival time in milliseconds since
	// the epoch; see [Record.ArrivalTime].
	ApproximateArrivalTimestamp int64 `json:"approximateArrivalTimestamp"`
	// Data is the record's payload, base64-decoded (Direct PUT and Kinesis
	// sources).
	Data []byte `json:"data,omitempty"`
	// KafkaRecordValue is the record's payload, base64-decoded, when the
	// source is Amazon MSK (which sends it instead of data). The response
	// then carries kafkaRecordValue too.
	KafkaRecordValue []byte `json:"kafkaRecordValue,omitempty"`
	// KinesisRecordMetadata describes the source record when the source is
	// a Kinesis data stream.
	KinesisRecordMetadata *KinesisMetadata `json:"kinesisRecordMetadata,omitempty"`
}

// Payload returns the record's payload: KafkaRecordValue for an Amazon MSK
// source, Data otherwise.
func (r *Record) Payload() []byte {
	if r.FromMSK() {
		return r.KafkaRecordValue
	}
	return r.Data
}

// FromMSK reports whether the record came from an Amazon MSK source (it
// carries kafkaRecordValue and no data).
func (r *Record) FromMSK() bool { return r.KafkaRecordValue != nil && r.Data == nil }

// ArrivalTime returns ApproximateArrivalTimestamp as a time.
func (r *Record) ArrivalTime() time.Time {
	return time.UnixMilli(r.ApproximateArrivalTimestamp)
}

// KinesisMetadata describes the Kinesis record a [Record] came from. AWS
// documents the timestamp and the subsequence number both as numbers and as
// strings
// (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html),
// so its UnmarshalJSON keeps either as text: aws-lambda-go's types refuse
// one of the two. It marshals them back as strings.
type KinesisMetadata struct {
	// ShardID is the source record's shard.
	ShardID string `json:"shardId"`
	// PartitionKey is the source record's partition key.
	PartitionKey string `json:"partitionKey"`
	// ApproximateArrivalTimestamp is the source record's arrival time as
	// sent, as text: milliseconds since the epoch ("1510772160000" for the
	// number 1510772160000), or an RFC 3339 string.
	ApproximateArrivalTimestamp string `json:"approximateArrivalTimestamp"`
	// SequenceNumber is the source record's sequence number.
	SequenceNumber string `json:"sequenceNumber"`
	// SubsequenceNumber is the source record's subsequence number as text
	// (a number's digits, or "" when none).
	SubsequenceNumber string `json:"subsequenceNumber"`
}

// UnmarshalJSON decodes the metadata as encoding/json would, but for
// approximateArrivalTimestamp and subsequenceNumber, which may each be a
// string or a number: either is kept as its text ("12" and 12 both give
// "12"). A null member leaves its field unchanged.
func (m *KinesisMetadata) UnmarshalJSON(data []byte) error {
	d := raw.NewDec(string(data))
	dst := m
	if err := decodeMetadata(&d, &dst); err != nil {
		return fmt.Errorf("batchkit: Firehose kinesisRecordMetadata: %w", err)
	}
	if !d.AtEnd() {
		return errors.New("batchkit: Firehose kinesisRecordMetadata: more data after the object")
	}
	return nil
}

// Result is what a [Func] returns for a record it handled without error:
// the transformed data (Ok), or Drop (Dropped), with partition keys for
// dynamic partitioning. A Drop carries nothing: a Result with Drop and
// Data or PartitionKeys fails its record (ProcessingFailed) rather than
// losing them silently.
type Result struct {
	// Data is the transformed payload. Return the record's Payload() to
	// pass it through unchanged; nil sends an empty record.
	Data []byte
	// Drop reports the record Dropped: intentionally left out.
	Drop bool
	// PartitionKeys are the record's keys for dynamic partitioning
	// (metadata.partitionKeys in the response).
	PartitionKeys map[string]string
}

// errDropCarries fails a record whose Result is a Drop with data or keys.
var errDropCarries = errors.New("batchkit: the handler dropped the record but returned data or partition keys with it")

// Func is a Firehose handler: it transforms one record. An error (or a
// panic) fails the record alone (ProcessingFailed); its Result is used only
// when it returns a nil error.
type Func func(ctx context.Context, rec *Record) (Result, error)

// JSON returns a [Func] that decodes each record's payload as JSON into a
// T, validates it (see [payload.Validate]), calls f and encodes what f
// returns as the transformed data, in JSON (a [Result] is used as it is,
// for a drop or partition keys). A payload that does not decode or
// validate, or a result that does not encode (its MarshalJSON returns an
// error or panics), fails that record alone. Add a newline to the output
// yourself (return a Result) when the destination needs records on lines of
// their own.
func JSON[T, O any](f func(ctx context.Context, payload T, rec *Record) (O, error)) Func {
	return func(ctx context.Context, rec *Record) (Result, error) {
		var in T
		if err := userfn.Guard("firehose.JSON (decoding the payload)", func() (err error) {
			in, err = payload.Decode[T]("Firehose data", rec.Payload())
			return err
		}); err != nil {
			return Result{}, err
		}
		out, err := f(ctx, in, rec)
		if err != nil {
			return Result{}, err
		}
		if r, ok := any(out).(Result); ok {
			return r, nil
		}
		var data []byte
		if err := userfn.Guard("firehose.JSON (encoding the result)", func() (err error) {
			data, err = json.Marshal(out)
			return err
		}); err != nil {
			return Result{}, fmt.Errorf("batchkit: Firehose result of type %T does not encode as JSON: %w", out, err)
		}
		return Result{Data: data}, nil
	}
}

// Config configures a [Processor].
type Config struct {
	// Options are the shared settings: concurrency, deadline margin and
	// hooks. SuppressFullBatchError has no effect: every record has its own
	// result.
	core.Options
	// MaxResponseBytes bounds the response's JSON; 0 is Lambda's 6 MB
	// limit on a synchronous response.
	MaxResponseBytes int
}

// processorName names the processor in [core.ConfigError]s.
const processorName = "firehose"

// Processor runs Firehose data transformations. It embeds [core.Base]
// (scheduling, hooks) and overrides ProcessRecord (the typed handler's
// result is kept in the invocation's state, never in the records) and
// Response (the Firehose response is built there, with hooks or without).
// Safe for concurrent use; create it once, with [New].
type Processor struct {
	*core.Base[Record]
	maxResponseBytes int
}

// New returns the processor of Firehose data transformations, or a
// [*core.ConfigError] for a wrong setting.
func New(c Config) (*Processor, error) {
	if err := c.Options.Validate(processorName); err != nil {
		return nil, err
	}
	switch {
	case c.MaxResponseBytes == 0:
		c.MaxResponseBytes = maxResponseBytes
	case c.MaxResponseBytes < 0:
		return nil, &core.ConfigError{Processor: processorName, Setting: "MaxResponseBytes", Value: strconv.Itoa(c.MaxResponseBytes),
			Problem: "it is negative"}
	}
	// Every record has its own result: a batch whose records all failed
	// is a response, never a full-batch error.
	opts := c.Options
	opts.SuppressFullBatchError = true
	base := core.NewBase(core.Source[Record]{
		Name:     eventSource,
		Identify: func(r *Record) core.Identifier { return core.StringID(r.RecordID) },
	}, opts)
	return &Processor{Base: base, maxResponseBytes: c.MaxResponseBytes}, nil
}

// state is an invocation's: the handler, and the response built from the
// handlers' results (set by ProcessRecord, one record each) and the
// outcomes (by Response).
type state struct {
	h    Func
	resp Response
	// built: Response ran; err is what building it returned.
	built bool
	err   error
}

// ProcessRecord calls the batch's [Func] on record i and keeps its result
// in the invocation's state. A handler that returns nil only after the
// record's deadline (the deadline margin, see [core.Options]) fails the
// record: its result would come too late. A batch not started by
// [Process] or [Handler] (core.Run with a plain core.Handler) runs the
// handler with [core.Batch.Handle]: the batch's outcomes are set, but no
// Firehose response is built.
func (p *Processor) ProcessRecord(ctx context.Context, b *core.Batch[Record], i int) core.Outcome {
	st, ok := b.State.(*state)
	if !ok {
		return p.Base.ProcessRecord(ctx, b, i)
	}
	rec := &b.Records[i]
	res, err := userfn.Call(ctx, st.h, rec)
	if err != nil {
		return core.Failure(err)
	}
	if err := userfn.Late(ctx); err != nil {
		return core.Failure(err)
	}
	if res.Drop && (res.Data != nil || res.PartitionKeys != nil) {
		return core.Failure(errDropCarries)
	}
	r := &st.resp.Records[i]
	r.Result, r.Data, r.PartitionKeys = resultOk, res.Data, res.PartitionKeys
	if res.Drop {
		r.Result = resultDropped
	}
	return core.Outcome{Status: core.StatusSuccess}
}

// Response builds the Firehose response from the outcomes (kept in the
// invocation's state for [Process]) and returns no partial batch response:
// its error is the invocation's (a record without recordId, a response that
// cannot fit even with every record failed), seen by hooks like any other.
func (p *Processor) Response(_ context.Context, b *core.Batch[Record]) (core.Response, error) {
	st, ok := b.State.(*state)
	if !ok {
		return core.Response{}, nil // a batch not started by Process or Handler
	}
	st.built, st.err = true, p.build(b, &st.resp)
	return core.Response{}, st.err
}

// build completes resp from b's outcomes: every record once, in input
// order; Ok or Dropped only for a record whose handler returned nil,
// ProcessingFailed for every other (error, panic, not started, not decoded,
// late). The response stays within the size limit: records are kept in
// input order while they fit, and a record whose data would go over is
// ProcessingFailed with [ErrResponseSize]. A record without recordId
// cannot be echoed: the error then fails the invocation, so that Firehose
// retries the batch.
func (p *Processor) build(b *core.Batch[Record], resp *Response) error {
	n := len(b.Records)
	// The minimal response: every record ProcessingFailed without data.
	total := len(`{"records":[]}`) + max(n-1, 0)
	var unidentified *core.UnidentifiableFailureError
	for i := range b.Records {
		rec, o, r := &b.Records[i], &b.Outcomes[i], &resp.Records[i]
		if rec.RecordID == "" {
			if unidentified == nil {
				unidentified = &core.UnidentifiableFailureError{}
			}
			unidentified.Positions = append(unidentified.Positions, i)
			unidentified.Errors = append(unidentified.Errors, o.Err)
		}
		r.RecordID, r.MSK = rec.RecordID, rec.FromMSK()
		r.idSize = jsonStringSize(r.RecordID)
		total += entrySize(r.idSize, resultFailed, r.MSK, 0, nil)
	}
	if unidentified != nil {
		for i := range resp.Records {
			resp.Records[i].fail(nil)
		}
		return &userfn.MissingIDError{UnidentifiableFailureError: unidentified, Field: "recordId"}
	}
	if total > p.maxResponseBytes {
		*resp = Response{}
		return &responseSizeError{Position: -1, Size: total, Limit: p.maxResponseBytes}
	}
	for i := range resp.Records {
		o, r := &b.Outcomes[i], &resp.Records[i]
		if o.Status != core.StatusSuccess || r.Result == "" {
			// Failed, not started, pending, or a success whose result was
			// not kept: never Ok.
			err := o.Err
			if err == nil {
				err = fmt.Errorf("batchkit: record %d has no result; it is reported ProcessingFailed", i)
			}
			r.fail(err)
			continue
		}
		grown := total - entrySize(r.idSize, resultFailed, r.MSK, 0, nil) +
			entrySize(r.idSize, r.Result, r.MSK, len(r.Data), r.PartitionKeys)
		if grown > p.maxResponseBytes {
			r.fail(&responseSizeError{Position: i, Size: grown, Limit: p.maxResponseBytes})
			continue
		}
		total = grown
	}
	return nil
}

// fail makes r a ProcessingFailed record for err.
func (r *ResponseRecord) fail(err error) {
	r.Result, r.Data, r.PartitionKeys, r.Err = resultFailed, nil, nil, err
}

// notCalled is the core.Handler of the batches of [Process]: their
// ProcessRecord calls the [Func] in the state instead.
func notCalled(context.Context, *Record) error {
	return errors.New("batchkit: firehose batch run without its handler")
}

// Process runs p over the records of event with h and returns the Firehose
// response: every record once, in input order, Ok or Dropped only when its
// handler returned nil. The error is an invocation's (no processor, a
// record without recordId, a response that cannot fit even with every
// record ProcessingFailed): only then must the function fail. event is not
// changed.
func Process(ctx context.Context, p *Processor, event Event, h Func) (Response, error) {
	if p == nil || h == nil {
		return Response{}, errors.New("batchkit: firehose.Process needs a processor and a handler")
	}
	return run(ctx, p, core.NewBatch(event.Records, notCalled), h)
}

// run runs b with h on the lifecycle, the response built in Response with
// hooks or without.
func run(ctx context.Context, p *Processor, b *core.Batch[Record], h Func) (Response, error) {
	st := &state{h: h, resp: Response{Records: make([]ResponseRecord, len(b.Records))}}
	b.State = st
	_, err := core.Run(ctx, p, b)
	if !st.built {
		return Response{}, err
	}
	return st.resp, err
}
