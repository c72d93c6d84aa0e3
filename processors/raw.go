package processors

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// processSQSRaw is the raw-bytes entry for SQS (standard or FIFO, by p): it
// takes the event as Lambda sent it (declare the Lambda handler's event as
// json.RawMessage), decodes each record of its "Records" array on its own and
// runs p over them with h, like [core.Process].
//
// A record that does not decode is not handed to h: it is reported failed by
// its message id with a [*core.RecordDecodeError] (or, when even its messageId
// cannot be read, the invocation returns a [core.UnidentifiableFailureError]).
// An event without a "Records" array returns an error matching [core.ErrUnexpectedBatchType]
// before any handler runs. For a valid event, h receives exactly the records
// that json.Unmarshal into events.SQSEvent gives, several times faster.
//
// The event's bytes are not kept: the records' strings and the values that
// need memory of their own (strings with escapes, base64 data, string and
// attribute lists, *string fields) are copied into a few chunks allocated
// per event, so the caller may reuse the event's buffer (aws-lambda-go
// does) once the entry returns. A handler that keeps such a value after
// the invocation keeps its chunk alive, so keep a strings.Clone or
// bytes.Clone of it instead. Every record's values are its own: writing to
// one never changes another's (a slice's capacity ends at its length; a
// string, or a DynamoDB S or N attribute value, shared by two records
// cannot be written). The same holds for the other raw
// entries.
func processSQSRaw(ctx context.Context, p core.PartialProcessor[events.SQSMessage], event []byte, h core.Handler[events.SQSMessage]) (core.Response, error) {
	return raw.Process(ctx, p, event, h, &raw.SQS)
}

// processKinesisRaw is the raw-bytes entry for Kinesis Data Streams: like
// [processSQSRaw], for events.KinesisEventRecord. A record whose data is not
// valid base64 (or that does not decode for another reason) fails alone,
// reported by its sequence number with a [*core.RecordDecodeError]; decoding the
// whole event with aws-lambda-go's types would fail the invocation instead.
func processKinesisRaw(ctx context.Context, p core.PartialProcessor[events.KinesisEventRecord], event []byte, h core.Handler[events.KinesisEventRecord]) (core.Response, error) {
	return raw.Process(ctx, p, event, h, &raw.Kinesis)
}

// processDynamoDBRaw is the raw-bytes entry for DynamoDB Streams: like
// [processSQSRaw], for events.DynamoDBEventRecord. Attribute values are
// decoded straight into events.DynamoDBAttributeValue (through its
// constructors) instead of aws-lambda-go's detour through a generic map, and
// a record with an attribute type aws-lambda-go does not know fails alone
// with a [*core.RecordDecodeError] wrapping events.UnsupportedDynamoDBTypeError,
// reported by its sequence number.
func processDynamoDBRaw(ctx context.Context, p core.PartialProcessor[events.DynamoDBEventRecord], event []byte, h core.Handler[events.DynamoDBEventRecord]) (core.Response, error) {
	return raw.Process(ctx, p, event, h, &raw.DynamoDB)
}
