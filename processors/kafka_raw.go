package processors

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// processKafkaRaw is the raw-bytes entry for Kafka (Amazon MSK and
// self-managed Apache Kafka): it takes the event as Lambda sent it (declare
// the Lambda handler's event as json.RawMessage), decodes each record of its
// "records" object on its own and runs p over them with h, with the
// guarantees of [ProcessKafka]:
//
//   - an event whose eventSource is neither "aws:kafka" nor
//     "SelfManagedKafka" is refused with an error matching [core.ErrEventSourceMismatch]
//     before any handler runs ([checkKafkaEventSource]);
//   - the records are handled in the order of [KafkaRecords]: topic-partitions
//     by topic then partition number, each partition's records by offset,
//     each record by its own topic-partition;
//   - a record that does not decode (a field of the wrong type, a header byte
//     out of range) is not handed to h: it fails alone with a
//     [*core.RecordDecodeError] (its Position is its place in that order, its
//     Identifier "<topic>-<partition>@<offset>"), reported by its partition
//     and offset, and, Kafka stopping a partition at its first failure, the
//     later offsets of its partition are not handled. When its offset cannot
//     be read, or its map key is not "<topic>-<partition>", the invocation
//     returns a [core.UnidentifiableFailureError]: the batch is retried and
//     nothing is lost;
//   - a record without "topic" belongs to the topic-partition of the event's
//     map key that holds it: its Topic and Partition are set from that key
//     (when the key reads as "<topic>-<partition>"), so that it is
//     identified as Lambda names it;
//   - an event without a "records" object (missing, null, not an object)
//     returns an error matching [core.ErrUnexpectedBatchType] before any handler runs;
//   - a refused invocation (either error above) is reported to p's hooks
//     with [core.Refuse], like any other.
//
// For a valid event, h receives exactly the records that json.Unmarshal into
// events.KafkaEvent followed by [KafkaRecords] gives. The response marshals
// as Lambda expects for Kafka ({"partition": "<topic>-<partition>",
// "offset": N} identifiers). Like the other raw entries, record strings share
// one copy of the event.
func processKafkaRaw(ctx context.Context, p core.PartialProcessor[events.KafkaRecord], event []byte, h core.Handler[events.KafkaRecord]) (core.Response, error) {
	ev, groups, err := raw.DecodeKafkaEvent(string(event))
	if err != nil {
		return core.Refuse(ctx, p, nil, err) // hooks see the refused invocation
	}
	// The event-source check is the typed entry's; it looks at the source
	// and whether the event holds records.
	ev.Records = make(map[string][]events.KafkaRecord, len(groups))
	for _, g := range groups {
		ev.Records[g.Key] = nil
	}
	records, failures := raw.OrderKafka(groups)
	if err := checkKafkaEventSource(ev); err != nil {
		return core.Refuse(ctx, p, records, err) // hooks see the refused invocation
	}
	b := core.NewBatch(records, h)
	for _, f := range failures {
		b.Fail(f.Position, f)
	}
	return core.Run(ctx, p, b)
}
