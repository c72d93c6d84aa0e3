package firehose

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/finish"
	"github.com/batchkit/batchkit/internal/raw"
	"github.com/batchkit/batchkit/payload"
)

// Amazon Data Firehose data transformation sends a Lambda function a batch
// of records and expects every record back exactly once, each Ok (with its
// transformed data), Dropped or ProcessingFailed (Firehose retries or
// backs it up). The records run on the same lifecycle as the partial batch
// response processors ([core.NewBatch] and [core.Run]); the Firehose
// response is then built from the outcomes, since the core response (a list
// of failed identifiers) can carry neither the transformed data nor the
// three results. Building it after Run is also where the 6 MB response limit
// is kept: records whose transformed data no longer fits are turned into
// ProcessingFailed (Firehose retries them) instead of letting Lambda refuse
// the whole response.

// The results of a Firehose record.
const (
	// FirehoseOk: the record was transformed (its handler returned nil).
	FirehoseOk = "Ok"
	// FirehoseDropped: the handler returned nil and asked to drop it.
	FirehoseDropped = "Dropped"
	// FirehoseProcessingFailed: the record failed; Firehose retries it or
	// backs it up to the processing-failed prefix.
	FirehoseProcessingFailed = "ProcessingFailed"
)

// EventSourceFirehose names Firehose to hooks.
const EventSourceFirehose = "aws:firehose"

// DefaultFirehoseMaxResponseBytes is Lambda's limit on a synchronous
// response, 6 MB, the default bound of a Firehose response.
const DefaultFirehoseMaxResponseBytes = 6 << 20

// FirehoseEvent is the event of a Firehose data transformation.
type FirehoseEvent struct {
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
	Records []FirehoseRecord `json:"records"`
}

// FirehoseRecord is one record of a [FirehoseEvent]: the record type of the
// Firehose processor.
type FirehoseRecord struct {
	// RecordID identifies the record; the response echoes it.
	RecordID string `json:"recordId"`
	// ApproximateArrivalTimestamp is the arrival time in milliseconds since
	// the epoch; see [FirehoseRecord.ArrivalTime].
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
	KinesisRecordMetadata *FirehoseKinesisMetadata `json:"kinesisRecordMetadata,omitempty"`

	// out is what a [FirehoseFunc] or [FirehoseJSON] handler returned.
	out    FirehoseResult
	hasOut bool
}

// Payload returns the record's payload: KafkaRecordValue for an Amazon MSK
// source, Data otherwise.
func (r *FirehoseRecord) Payload() []byte {
	if r.FromMSK() {
		return r.KafkaRecordValue
	}
	return r.Data
}

// FromMSK reports whether the record came from an Amazon MSK source (it
// carries kafkaRecordValue and no data).
func (r *FirehoseRecord) FromMSK() bool { return r.KafkaRecordValue != nil && r.Data == nil }

// ArrivalTime returns ApproximateArrivalTimestamp as a time.
func (r *FirehoseRecord) ArrivalTime() time.Time {
	return time.UnixMilli(r.ApproximateArrivalTimestamp)
}

// FirehoseKinesisMetadata describes the Kinesis record a Firehose record
// came from. AWS documents the timestamp and the subsequence number both as
// numbers and as strings, so they are kept as text ([FlexText]):
// aws-lambda-go's types refuse one of the two.
type FirehoseKinesisMetadata struct {
	// ShardID is the source record's shard.
	ShardID string `json:"shardId"`
	// PartitionKey is the source record's partition key.
	PartitionKey string `json:"partitionKey"`
	// ApproximateArrivalTimestamp is the source record's arrival time as
	// sent: milliseconds since the epoch, or an RFC 3339 string.
	ApproximateArrivalTimestamp FlexText `json:"approximateArrivalTimestamp"`
	// SequenceNumber is the source record's sequence number.
	SequenceNumber string `json:"sequenceNumber"`
	// SubsequenceNumber is the source record's subsequence number (a
	// number, or "" when none).
	SubsequenceNumber FlexText `json:"subsequenceNumber"`
}

// FlexText is a JSON string or number kept as its text: "12" and 12 both
// give "12". It marshals back as a string.
type FlexText string

// UnmarshalJSON accepts a string, a number or null (left unchanged).
func (t *FlexText) UnmarshalJSON(data []byte) error {
	d := raw.NewDec(string(data))
	s := string(*t)
	if err := d.TextField(&s); err != nil {
		return fmt.Errorf("batchkit: expected a string or a number: %w", err)
	}
	if d.Peek() != 0 {
		return errors.New("batchkit: expected a string or a number, found more data")
	}
	*t = FlexText(s)
	return nil
}

// FirehoseResult is what a Firehose handler returns for a record it handled
// without error: transformed data ([FirehoseData]) or a drop
// ([FirehoseDrop]), with partition keys for dynamic partitioning.
type FirehoseResult struct {
	// Data is the transformed payload (Ok).
	Data []byte
	// Drop reports the record Dropped: intentionally left out.
	Drop bool
	// PartitionKeys are the record's keys for dynamic partitioning
	// (metadata.partitionKeys in the response).
	PartitionKeys map[string]string
}

// FirehoseData returns the Ok result with data as the transformed payload.
func FirehoseData(data []byte) FirehoseResult { return FirehoseResult{Data: data} }

// FirehoseDrop returns the Dropped result.
func FirehoseDrop() FirehoseResult { return FirehoseResult{Drop: true} }

// WithPartitionKeys returns r with the partition keys of dynamic
// partitioning.
func (r FirehoseResult) WithPartitionKeys(keys map[string]string) FirehoseResult {
	r.PartitionKeys = keys
	return r
}

// FirehoseFunc adapts a handler that returns a [FirehoseResult]. The result
// is stored in the record itself, so a successful record costs no
// allocation beyond the handler's own. An error fails the record alone
// (ProcessingFailed).
func FirehoseFunc(f func(ctx context.Context, rec *FirehoseRecord) (FirehoseResult, error)) core.Handler[FirehoseRecord] {
	return func(ctx context.Context, rec *FirehoseRecord) error {
		out, err := f(ctx, rec)
		if err != nil {
			return err
		}
		rec.out, rec.hasOut = out, true
		return nil
	}
}

// FirehoseJSON returns a handler that decodes each record's payload as JSON
// into a T, validates it (see [Validator]), calls f and encodes what f
// returns as the transformed data, in JSON (a [FirehoseResult] is used as
// it is, for a drop or partition keys). A payload that does not decode or
// validate, or a result that does not encode, fails that record alone.
// Add a newline to the output yourself (return a FirehoseResult) when the
// destination needs records on lines of their own.
func FirehoseJSON[T, O any](f func(ctx context.Context, payload T, rec *FirehoseRecord) (O, error)) core.Handler[FirehoseRecord] {
	return FirehoseFunc(func(ctx context.Context, rec *FirehoseRecord) (FirehoseResult, error) {
		in, err := payload.Decode[T]("Firehose data", rec.Payload())
		if err != nil {
			return FirehoseResult{}, err
		}
		out, err := f(ctx, in, rec)
		if err != nil {
			return FirehoseResult{}, err
		}
		if r, ok := any(out).(FirehoseResult); ok {
			return r, nil
		}
		data, err := json.Marshal(out)
		if err != nil {
			return FirehoseResult{}, fmt.Errorf("batchkit: Firehose handler result of type %T does not encode as JSON: %w", out, err)
		}
		return FirehoseData(data), nil
	})
}

// FirehoseResponse is the response of a Firehose data transformation: every
// record of the event once, in input order. Its JSON is Firehose's:
// {"records":[{"recordId","result","data"(or "kafkaRecordValue"),
// "metadata":{"partitionKeys"}}]}.
type FirehoseResponse struct {
	// Records holds one result per event record, in input order.
	Records []FirehoseResponseRecord `json:"records"`
}

// FirehoseResponseRecord is one record of a [FirehoseResponse].
type FirehoseResponseRecord struct {
	// RecordID echoes the event record's.
	RecordID string `json:"recordId"`
	// Result is [FirehoseOk], [FirehoseDropped] or
	// [FirehoseProcessingFailed].
	Result string `json:"result"`
	// Data is the transformed payload (Ok); empty otherwise.
	Data []byte `json:"data"`
	// MSK writes Data under kafkaRecordValue, as an Amazon MSK source
	// expects, instead of data.
	MSK bool `json:"-"`
	// PartitionKeys are written as metadata.partitionKeys when not empty.
	PartitionKeys map[string]string `json:"-"`
	// Err is why the record is ProcessingFailed: the handler's error, a
	// [*core.PanicError], a not-started error, a [*core.RecordDecodeError] or a
	// [*FirehoseResponseSizeError]. It is not sent.
	Err error `json:"-"`

	// idSize caches jsonStringSize(RecordID) for BuildResponse; 0: unknown.
	idSize int
}

// MarshalJSON writes the response in one buffer of the exact size.
func (r FirehoseResponse) MarshalJSON() ([]byte, error) {
	size := len(`{"records":[]}`)
	for i := range r.Records {
		size += r.Records[i].jsonSize()
	}
	if len(r.Records) > 1 {
		size += len(r.Records) - 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"records":[`...)
	for i := range r.Records {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = r.Records[i].appendJSON(buf)
	}
	return append(buf, "]}"...), nil
}

// MarshalJSON writes the record as Firehose expects it.
func (r FirehoseResponseRecord) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, r.jsonSize())), nil
}

func (r *FirehoseResponseRecord) dataKey() string {
	if r.MSK {
		return `,"kafkaRecordValue":"`
	}
	return `,"data":"`
}

// appendJSON appends the record's JSON to buf; jsonSize is its length.
func (r *FirehoseResponseRecord) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"recordId":`...)
	buf = appendJSONString(buf, r.RecordID)
	buf = append(buf, `,"result":`...)
	buf = appendJSONString(buf, r.Result)
	buf = append(buf, r.dataKey()...)
	buf = base64.StdEncoding.AppendEncode(buf, r.Data)
	buf = append(buf, '"')
	if len(r.PartitionKeys) > 0 {
		buf = append(buf, `,"metadata":{"partitionKeys":{`...)
		keys := make([]string, 0, len(r.PartitionKeys))
		for k := range r.PartitionKeys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			buf = appendJSONString(buf, r.PartitionKeys[k])
		}
		buf = append(buf, "}}"...)
	}
	return append(buf, '}')
}

// jsonSize is the length of appendJSON's output.
func (r *FirehoseResponseRecord) jsonSize() int {
	idSize := r.idSize
	if idSize == 0 {
		idSize = jsonStringSize(r.RecordID)
	}
	return firehoseEntrySize(idSize, r.Result, r.MSK, len(r.Data), r.PartitionKeys)
}

// firehoseEntrySize is the length of a response record's JSON whose
// quoted record id is idSize bytes long.
func firehoseEntrySize(idSize int, result string, msk bool, dataLen int, keys map[string]string) int {
	dataKey := len(`,"data":"`)
	if msk {
		dataKey = len(`,"kafkaRecordValue":"`)
	}
	n := len(`{"recordId":`) + idSize + len(`,"result":`) + jsonStringSize(result) +
		dataKey + base64.StdEncoding.EncodedLen(dataLen) + len(`"}`)
	if len(keys) > 0 {
		n += len(`,"metadata":{"partitionKeys":{}}`) + len(keys) - 1
		for k, v := range keys {
			n += jsonStringSize(k) + 1 + jsonStringSize(v)
		}
	}
	return n
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, U+2028 and U+2029 escaped, invalid UTF-8 as
// U+FFFD (encoding/json's rules, without its HTML escaping).
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if raw.PlainByte[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// jsonStringSize is the length of appendJSONString's output for s.
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if raw.PlainByte[c] {
			n++
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' {
				n += 2
			} else {
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// ErrFirehoseResponseSize matches, with errors.Is, the error of a record
// left out of the response's size limit ([*FirehoseResponseSizeError]).
var ErrFirehoseResponseSize = errors.New("batchkit: Firehose response size limit reached")

// FirehoseResponseSizeError is the error of a record whose handler
// succeeded but whose transformed data did not fit in the response's size
// limit (Lambda's 6 MB): it is reported ProcessingFailed, so that Firehose
// retries it, instead of the whole response being refused. As a whole-
// invocation error (Limit too small for even the minimal response, with
// Position -1), the function fails and Firehose retries the batch.
type FirehoseResponseSizeError struct {
	// Position is the record's position, -1 for the whole response.
	Position int
	// Size is the size the response would have had with the record's data.
	Size int
	// Limit is the processor's response limit.
	Limit int
}

// Error says which record did not fit and what to do.
func (e *FirehoseResponseSizeError) Error() string {
	if e.Position < 0 {
		return fmt.Sprintf("batchkit: the Firehose response needs %d bytes even with every record ProcessingFailed, over the limit of %d; the invocation fails so that Firehose retries the batch (lower the buffering size of the stream's Lambda processor)", e.Size, e.Limit)
	}
	return fmt.Sprintf("batchkit: record %d was transformed but its data would bring the response to %d bytes, over the limit of %d; it is reported ProcessingFailed so that Firehose retries it (make transformed records smaller or lower the stream's buffering size)", e.Position, e.Size, e.Limit)
}

// Is matches [ErrFirehoseResponseSize].
func (e *FirehoseResponseSizeError) Is(target error) bool { return target == ErrFirehoseResponseSize }

// FirehoseConfig configures a Firehose processor.
type FirehoseConfig struct {
	// Options are the shared settings: concurrency, deadline margin and
	// hooks. SuppressFullBatchError has no effect: every record has its own
	// result.
	core.Options
	// MaxResponseBytes bounds the response's JSON; 0 is
	// [DefaultFirehoseMaxResponseBytes] (Lambda's 6 MB).
	MaxResponseBytes int
}

// processorName names the Firehose processor in [core.ConfigError]s.
const processorName = "firehose"

// FirehoseProcessor is the processor of Firehose data transformation. It
// embeds the shared [core.Base] (scheduling, hooks) and overrides Response
// (no partial batch response: the Firehose response is built from the
// outcomes by [FirehoseProcessor.BuildResponse]). Safe for concurrent use.
type FirehoseProcessor struct {
	*core.Base[FirehoseRecord]
	maxResponseBytes int
}

// NewFirehose returns the Firehose processor with the shared options
// (concurrency, deadline margin, hooks) and the 6 MB response limit.
func NewFirehose(c FirehoseConfig) (*FirehoseProcessor, error) {
	if err := c.Options.Validate(processorName); err != nil {
		return nil, err
	}
	switch {
	case c.MaxResponseBytes == 0:
		c.MaxResponseBytes = DefaultFirehoseMaxResponseBytes
	case c.MaxResponseBytes < 0:
		return nil, &core.ConfigError{Processor: processorName, Setting: "MaxResponseBytes", Value: strconv.Itoa(c.MaxResponseBytes),
			Problem: "it is negative"}
	}
	// Every record has its own result: a batch whose records all failed
	// is a response, never a full-batch error.
	opts := c.Options
	opts.SuppressFullBatchError = true
	base := core.NewBase(core.Source[FirehoseRecord]{
		Name:     EventSourceFirehose,
		Identify: func(r *FirehoseRecord) core.Identifier { return core.StringID(r.RecordID) },
	}, opts)
	return &FirehoseProcessor{Base: base, maxResponseBytes: c.MaxResponseBytes}, nil
}

// Prepare forgets what an earlier run over the same records stored in
// them (a [FirehoseFunc] result), so that a record's output is always this
// run's.
func (p *FirehoseProcessor) Prepare(ctx context.Context, b *core.Batch[FirehoseRecord]) error {
	resetOutputs(b)
	return p.Base.Prepare(ctx, b)
}

// resetOutputs is Prepare's own work.
func resetOutputs(b *core.Batch[FirehoseRecord]) {
	for i := range b.Records {
		b.Records[i].out, b.Records[i].hasOut = FirehoseResult{}, false
	}
}

// Response returns no partial batch response and no error: the Firehose
// response is built from the outcomes by [FirehoseProcessor.BuildResponse].
func (p *FirehoseProcessor) Response(context.Context, *core.Batch[FirehoseRecord]) (core.Response, error) {
	return core.Response{}, nil
}

// BuildResponse builds the Firehose response of a processed batch from its
// outcomes: every record once, in input order; Ok or Dropped only for a
// record whose handler returned nil, ProcessingFailed for every other
// (error, panic, not started, not decoded). A handler's result gives the
// data: a [FirehoseResult] (or one stored by [FirehoseFunc]), []byte or
// string as the data itself, nil for the record's payload unchanged, any
// other value encoded as JSON.
//
// The response stays within the processor's size limit: records are kept
// in input order while they fit, and a record whose data would go over is
// reported ProcessingFailed with a [*FirehoseResponseSizeError]. A record
// without recordId cannot be echoed: the result is then a
// [*core.UnidentifiableFailureError], so that Firehose retries the batch.
func (p *FirehoseProcessor) BuildResponse(b *core.Batch[FirehoseRecord]) (FirehoseResponse, error) {
	n := len(b.Records)
	resp := FirehoseResponse{Records: make([]FirehoseResponseRecord, n)}
	// The minimal response: every record ProcessingFailed without data.
	total := len(`{"records":[]}`) + max(n-1, 0)
	var unidentified *core.UnidentifiableFailureError
	for i := range b.Records {
		rec, o := &b.Records[i], &b.Outcomes[i]
		if rec.RecordID == "" {
			if unidentified == nil {
				unidentified = &core.UnidentifiableFailureError{}
			}
			unidentified.Positions = append(unidentified.Positions, i)
			unidentified.Errors = append(unidentified.Errors, o.Err)
		}
		r := &resp.Records[i]
		r.RecordID, r.Result, r.MSK = rec.RecordID, FirehoseProcessingFailed, rec.FromMSK()
		r.idSize = jsonStringSize(r.RecordID)
		total += firehoseEntrySize(r.idSize, r.Result, r.MSK, 0, nil)
	}
	if unidentified != nil {
		return resp, unidentified
	}
	if total > p.maxResponseBytes {
		return FirehoseResponse{}, &FirehoseResponseSizeError{Position: -1, Size: total, Limit: p.maxResponseBytes}
	}
	for i := range b.Records {
		rec, o, r := &b.Records[i], &b.Outcomes[i], &resp.Records[i]
		switch {
		case o.Status == core.StatusSuccess:
		case o.Failed():
			r.Err = o.Err
			if r.Err == nil {
				r.Err = errors.New("batchkit: record failed without an error")
			}
			continue
		default: // pending: never a success
			r.Err = fmt.Errorf("batchkit: record %d has no outcome; it is reported ProcessingFailed", i)
			continue
		}
		out, err := firehoseOutput(rec, o.Result)
		if err != nil {
			r.Err = err
			continue
		}
		idSize := r.idSize
		full := FirehoseResponseRecord{RecordID: r.RecordID, Result: FirehoseOk, Data: out.Data, MSK: r.MSK, PartitionKeys: out.PartitionKeys, idSize: idSize}
		if out.Drop {
			full.Result, full.Data = FirehoseDropped, nil
		}
		grown := total - firehoseEntrySize(idSize, FirehoseProcessingFailed, r.MSK, 0, nil) +
			firehoseEntrySize(idSize, full.Result, full.MSK, len(full.Data), full.PartitionKeys)
		if grown > p.maxResponseBytes {
			r.Err = &FirehoseResponseSizeError{Position: i, Size: grown, Limit: p.maxResponseBytes}
			continue
		}
		total = grown
		*r = full
	}
	return resp, nil
}

// firehoseOutput is what a successful record's handler produced.
func firehoseOutput(rec *FirehoseRecord, result any) (FirehoseResult, error) {
	switch v := result.(type) {
	case nil:
		if rec.hasOut {
			return rec.out, nil
		}
		return FirehoseData(rec.Payload()), nil
	case FirehoseResult:
		return v, nil
	case *FirehoseResult:
		if v == nil {
			return FirehoseData(rec.Payload()), nil
		}
		return *v, nil
	case []byte:
		return FirehoseData(v), nil
	case json.RawMessage:
		return FirehoseData(v), nil
	case string:
		return FirehoseData([]byte(v)), nil
	}
	data, err := json.Marshal(result)
	if err != nil {
		return FirehoseResult{}, fmt.Errorf("batchkit: Firehose handler result of type %T does not encode as JSON: %w", result, err)
	}
	return FirehoseData(data), nil
}

// ProcessFirehose runs p over the records of event with h and returns the
// Firehose response (see [FirehoseProcessor.BuildResponse]). The error is a
// Prepare error, a record without recordId, or a response that cannot fit
// even with every record failed: only then must the invocation fail.
func ProcessFirehose(ctx context.Context, p *FirehoseProcessor, event FirehoseEvent, h core.Handler[FirehoseRecord]) (FirehoseResponse, error) {
	return runFirehose(ctx, p, core.NewBatch(event.Records, h))
}

func runFirehose(ctx context.Context, p *FirehoseProcessor, b *core.Batch[FirehoseRecord]) (FirehoseResponse, error) {
	if p == nil {
		return FirehoseResponse{}, errors.New("batchkit: ProcessFirehose needs a processor (firehose.NewFirehose), got nil")
	}
	// The lifecycle runs the processor's plain Base, after Prepare's own
	// work, so that core.Run calls the handler directly on its sequential
	// fast path; driving p itself with core.Run gives the same outcomes.
	// With hooks, the response is built inside the lifecycle, so that
	// BatchEnd sees an invocation that fails building it.
	resetOutputs(b)
	var resp FirehoseResponse
	var buildErr error
	err := finish.Run(ctx, p.Base, b, func() error {
		resp, buildErr = p.BuildResponse(b)
		return buildErr
	})
	if buildErr != nil {
		return resp, buildErr // as BuildResponse returns it
	}
	if err != nil {
		return FirehoseResponse{}, err
	}
	return resp, nil
}
