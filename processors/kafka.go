package processors

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/raw"
)

// KafkaProcessor is the processor of Kafka events (Amazon MSK and
// self-managed Apache Kafka). It is a [core.Base] whose response reports
// only the lowest failed offset of each topic-partition; a custom processor
// can embed it.
type KafkaProcessor struct {
	*core.Base[events.KafkaRecord]
}

// NewKafka returns the processor for Kafka events (Amazon MSK and
// self-managed). Its ordering is fixed and follows Kafka's: the records of
// one topic-partition are handled one after another in offset order, and
// the partition stops at its first failure (the later records are reported
// failed with an [*core.UnhandledError] (ErrShortCircuit) and are not handled, since Lambda
// resumes the partition from the failed offset). Different partitions run
// in parallel under [core.Options.Concurrency]. The response holds one identifier per
// failed partition, {"partition": "<topic>-<partition>", "offset": N}, with
// its lowest failed offset.
//
// Use it with [ProcessKafka], which checks the event source and orders the
// event's records.
func NewKafka(c Config) (*KafkaProcessor, error) {
	if err := c.Validate(nameKafka); err != nil {
		return nil, err
	}
	return &KafkaProcessor{Base: core.NewBase(core.Source[events.KafkaRecord]{
		Name:         EventSourceMSK,
		EventSources: []string{EventSourceMSK, EventSourceSelfManagedKafka},
		Identify: func(r *events.KafkaRecord) core.Identifier {
			tp := raw.TopicPartition(r)
			if tp == "" {
				return core.Identifier{} // unidentifiable: the whole batch is retried
			}
			return core.KafkaID(tp, r.Offset)
		},
		Key:     raw.TopicPartition,
		SameKey: sameTopicPartition,
		Stop:    core.StopKey,
	}, c.Options)}, nil
}

// sameTopicPartition reports whether two records have the same non-empty
// topic-partition: the records of a partition, which come one after another,
// then share one key string instead of building one each.
func sameTopicPartition(a, b *events.KafkaRecord) bool {
	return a.Topic != "" && a.Partition == b.Partition && a.Topic == b.Topic
}

// errNoTopic is why a Kafka record without a topic fails: it can be neither
// ordered with its partition nor reported.
var errNoTopic = errors.New("no topic, so its topic-partition is unknown")

// Prepare checks the event source (see [core.Base.Prepare]) and fails, before
// any handler runs, every record without a topic, with a
// [*core.RecordDecodeError] (a record without a topic is malformed): its
// topic-partition is
// unknown, so it could neither be reported (the invocation fails with a
// [core.UnidentifiableFailureError], and Lambda retries the batch) nor be
// kept in order with its partition; every later record is stopped too,
// since any may share its partition (see core.Batch.FailUnknownKey).
// [ProcessKafka] takes a missing topic from the event's
// "<topic>-<partition>" key instead, so this only happens with records
// passed to core.Process directly, or under a key that does not name a
// topic-partition.
func (p *KafkaProcessor) Prepare(ctx context.Context, b *core.Batch[events.KafkaRecord]) error {
	if err := p.Base.Prepare(ctx, b); err != nil {
		return err
	}
	for i := range b.Records {
		if b.Records[i].Topic == "" {
			var err error = &core.RecordDecodeError{Position: i, Err: errNoTopic, KeyUnknown: true}
			if o := b.Outcomes[i]; o.Status == core.StatusFailure && o.Err != nil {
				// Already failed before the batch ran (a raw record that did
				// not decode): keep that reason, stop its partition all the same.
				err = o.Err
			}
			b.FailUnknownKey(i, err)
		}
	}
	return nil
}

// Response reports the failed records (see [core.BuildResponse]), keeping
// for each topic-partition only the lowest failed offset: Lambda resumes the
// partition from there, so the later offsets are retried anyway.
func (p *KafkaProcessor) Response(ctx context.Context, b *core.Batch[events.KafkaRecord]) (core.Response, error) {
	resp, err := p.Base.Response(ctx, b)
	resp.BatchItemFailures = lowestOffsets(resp.BatchItemFailures)
	return resp, err
}

// lowestOffsets keeps the first entry of each Kafka partition, with the
// lowest offset reported for it. Other identifiers are kept as they are.
func lowestOffsets(failures []core.BatchItemFailure) []core.BatchItemFailure {
	if len(failures) < 2 {
		return failures
	}
	at := make(map[string]int) // partition -> index in out
	out := failures[:0]
	for _, f := range failures {
		id := f.ItemIdentifier
		if !id.IsKafka() {
			out = append(out, f)
			continue
		}
		if i, ok := at[id.Partition]; ok {
			if id.Offset < out[i].ItemIdentifier.Offset {
				out[i] = f
			}
			continue
		}
		at[id.Partition] = len(out)
		out = append(out, f)
	}
	return out
}

// KafkaRecords returns the records of a Kafka event in a deterministic
// order: topic-partitions sorted by topic, then by partition number (so
// "orders-2" comes before "orders-10"), and the records of each partition by
// offset. Each record is ordered by its own topic and partition, not by the
// key it came under (they are the same in the events Lambda sends); a record
// without a topic takes its topic and partition from the event's
// "<topic>-<partition>" key, which Lambda always sets, so that it stays in
// order with its partition and can be reported. The event's
// records are not modified (the returned slice holds copies).
func KafkaRecords(event events.KafkaEvent) []events.KafkaRecord {
	// The keys are split once (not at every comparison of the sort), and a
	// partition already in offset order, as Lambda sends it, is not sorted.
	parts := make([]splitKey, 0, len(event.Records))
	n := 0
	for k, recs := range event.Records {
		topic, partition := raw.SplitTopicPartition(k)
		parts = append(parts, splitKey{key: k, topic: topic, partition: partition, recs: recs})
		n += len(recs)
	}
	if len(parts) > 1 {
		slices.SortFunc(parts, compareSplitKeys)
	}
	out := make([]events.KafkaRecord, 0, n)
	for _, part := range parts {
		start := len(out)
		out = append(out, part.recs...)
		if part.partition >= 0 {
			// The event's key names the records' topic-partition: a
			// record without a topic takes it, so that it is ordered
			// with its partition and reported by it.
			for j := start; j < len(out); j++ {
				if out[j].Topic == "" {
					out[j].Topic, out[j].Partition = part.topic, part.partition
				}
			}
		}
		if recs := out[start:]; !raw.OffsetsAscending(recs) {
			slices.SortStableFunc(recs, func(a, b events.KafkaRecord) int { return cmp.Compare(a.Offset, b.Offset) })
		}
	}
	if !raw.OwnPartitionsSorted(out) {
		// A record filed under another partition's key: order it, and so
		// stop it, by its own topic-partition.
		raw.SortOwnPartitions(out)
	}
	return out
}

// splitKey is a "<topic>-<partition>" key of a Kafka event, split, with its
// records.
type splitKey struct {
	key       string
	topic     string
	partition int64
	recs      []events.KafkaRecord
}

// compareSplitKeys is [raw.CompareTopicPartitions] on keys already split.
func compareSplitKeys(a, b splitKey) int {
	return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition), strings.Compare(a.key, b.key))
}

// ProcessKafka runs p over a Kafka event: it refuses, with an error matching
// [core.ErrEventSourceMismatch] and before any handler runs, an event
// whose eventSource is neither "aws:kafka" (MSK) nor "SelfManagedKafka" (an
// empty one is accepted), orders the records with [KafkaRecords] and calls
// [core.Process]. The response marshals as Lambda expects for Kafka.
//
//	var processor = core.Must(processors.NewKafka(processors.Config{Options: core.Options{Concurrency: 8}}))
//
//	func handler(ctx context.Context, event events.KafkaEvent) (core.Response, error) {
//		return processors.ProcessKafka(ctx, processor, event, handleRecord)
//	}
func ProcessKafka(ctx context.Context, p core.PartialProcessor[events.KafkaRecord], event events.KafkaEvent, handler core.Handler[events.KafkaRecord]) (core.Response, error) {
	records := KafkaRecords(event)
	if err := checkKafkaEventSource(event); err != nil {
		return core.Refuse(ctx, p, records, err) // hooks see the refused invocation
	}
	return core.Process(ctx, p, records, handler)
}

// checkKafkaEventSource returns an error matching [core.ErrEventSourceMismatch] when a
// non-empty Kafka event names another event source than MSK or self-managed
// Kafka (its Position is 0: every record comes from that source). An empty
// eventSource is accepted.
func checkKafkaEventSource(event events.KafkaEvent) error {
	es := event.EventSource
	if es == "" || es == EventSourceMSK || es == EventSourceSelfManagedKafka || len(event.Records) == 0 {
		return nil
	}
	return fmt.Errorf("%w: eventSource %q, the processor accepts %q or %q", core.ErrEventSourceMismatch, es, EventSourceMSK, EventSourceSelfManagedKafka)
}
